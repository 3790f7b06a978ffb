import type { ServiceContext } from "../../context.ts";
import type { MemberPushBody } from "../../domain/callbacks/callback_body.ts";
import { userOfAudience } from "../../domain/delivery/audience.ts";
import { notificationDelivered } from "../../domain/webhooks/notification_events.ts";
import {
  getNotification,
  type StoredNotification,
} from "../../store/notifications/notification_store.ts";
import {
  forgetReached,
  memberPage,
  recordReached,
} from "../../store/push/member_push_store.ts";
import { emitEvent } from "../webhooks/emit_event.ts";
import {
  mayPush,
  planPushes,
  publishPlanned,
  typeRuleOf,
} from "./queue_pushes.ts";

/**
 * Members one page reads (one index range), whose devices one query finds
 * and whose pushes go to QStash in batches of PUSH_BATCH.
 */
export const MEMBER_PAGE = 500;

/** A broadcast's role and topic channels, in the order its pages take them. */
function channelsOf(n: StoredNotification): string[] {
  return n.audiences.filter((a) => userOfAudience(a) === null).sort();
}

/**
 * A role or topic broadcast's pushes, once it is published: to the members
 * Herald knows (their recorded memberships) who held the channel when it
 * was made, page after page chained through QStash — never every member
 * in one request. `reached` are the members with a live connection holding
 * the channel just after the publish (the list its counts go to): an
 * `offline` policy skips them, so they are recorded for the pages to read;
 * under `always` everybody is pushed and nothing is recorded. Each member
 * then goes through the rules a user's notification does (queue_pushes.ts:
 * their preferences, quiet hours, critical). The first page runs here;
 * the last tells the host app `notification.delivered` with every page's
 * pushes counted. Nothing may be pushed (push off, an ad hoc `off`): it is
 * told at once.
 */
export async function pushToMembers({ ctx, n, o }: {
  ctx: ServiceContext;
  n: StoredNotification;
  o: { reached: readonly string[]; live: number };
}): Promise<void> {
  if (!(await mayPush({ ctx, n }))) {
    await emitEvent({
      ctx,
      event: notificationDelivered(n, { live: o.live, push: 0 }),
    });
    return;
  }
  const { policy } = typeRuleOf(n, await ctx.catalogue());
  if (policy !== "always" && o.reached.length > 0) {
    await recordReached(ctx.db, n.id, o.reached);
  }
  await pushMemberPage({
    ctx,
    ref: {
      kind: "member-push",
      notificationId: n.id,
      channel: 0,
      after: null,
      page: 0,
      live: o.live,
      queued: 0,
    },
    known: n,
  });
}

/**
 * One page of a broadcast's member pushes (a `member-push` message, or the
 * first, inline): its pushes planned, the next page published with the
 * count so far, then its pushes queued — each message deduplicated by
 * page, so a redelivered page doubles nothing. A notification gone or
 * expired pushes no more.
 */
export async function pushMemberPage({ ctx, ref, known = null }: {
  ctx: ServiceContext;
  ref: MemberPushBody;
  known?: StoredNotification | null;
}): Promise<{ page: number; members: number; queued: number; last: boolean }> {
  const n = known ?? await getNotification(ctx.db, ref.notificationId);
  const channels = n ? channelsOf(n) : [];
  const channel = channels[ref.channel];
  const current = n !== null && channel !== undefined &&
    (n.expiresAt == null || n.expiresAt > ctx.now());
  const rows = n && current && channel !== undefined
    ? await memberPage(ctx.db, {
      notificationId: n.id,
      createdAt: n.createdAt,
      channel,
      earlier: channels.slice(0, ref.channel),
      after: ref.after,
      limit: MEMBER_PAGE + 1,
    })
    : [];
  const mine = rows.slice(0, MEMBER_PAGE);
  const last = mine[mine.length - 1];
  const next = rows.length > MEMBER_PAGE && last
    ? { channel: ref.channel, after: last.userId }
    : current && ref.channel + 1 < channels.length
    ? { channel: ref.channel + 1, after: null }
    : null;
  const plan = await planPushes({
    ctx,
    delivered: n
      ? mine.filter((r) => r.holds).map((r) => ({
        notification: n,
        userId: r.userId,
        live: r.reached ? 1 : 0,
      }))
      : [],
  });
  const queued = plan.queued.get(ref.notificationId) ?? 0;
  const total = ref.queued + queued;
  if (next) {
    // The next page first, so pages overlap their batch calls; it carries
    // this page's count, which a retry of this page plans the same again.
    const body: MemberPushBody = {
      ...ref,
      ...next,
      page: ref.page + 1,
      queued: total,
    };
    await ctx.scheduler.publishMessage({
      destination: ctx.config.callbackUrl,
      body: JSON.stringify(body),
      deduplicationId: `herald-pm-${ref.notificationId}-${ref.page + 1}`,
    });
  }
  await publishPlanned({
    ctx,
    plan,
    opts: {
      deduplicationId: `herald-pp-${ref.notificationId}-${ref.page}`,
    },
  });
  if (!next) {
    // Done with. (An earlier page retried after this — its pushes failed
    // to queue once its successor was out — would now push the reached
    // too: QStash retries it within seconds, rarely after the chain ends.)
    await forgetReached(ctx.db, [ref.notificationId]);
    if (n) {
      await emitEvent({
        ctx,
        event: notificationDelivered(n, { live: ref.live, push: total }),
      });
    }
  }
  ctx.log.info("push.members_page", {
    notification: ref.notificationId,
    page: ref.page,
    members: mine.length,
    queued,
    last: next === null,
  });
  return { page: ref.page, members: mine.length, queued, last: next === null };
}
