import type { ServiceContext } from "../../context.ts";
import {
  type ChannelRef,
  formatAudience,
  parseAudience,
} from "../../domain/delivery/audience.ts";
import type { Addressed, PublishResult } from "../../ports/channels.ts";
import {
  notificationCreated,
  notificationDelivered,
} from "../../domain/webhooks/notification_events.ts";
import { emitEvents } from "../webhooks/emit_event.ts";
import { type Delivered, queuePushes } from "../push/queue_pushes.ts";
import { pushToMembers } from "../push/push_members.ts";
import { notificationExpiryBody } from "../../domain/callbacks/callback_body.ts";
import {
  clearOutbox,
  countUnreadOf,
  dueOutbox,
  getNotification,
  postponeOutbox,
  type StoredNotification,
  toView,
} from "../../store/notifications/notification_store.ts";

/** How long an in-flight fan-out owns its outbox row before the sweep may. */
export const FANOUT_GRACE_MS = 30_000;
/** Users counted per query (and their counts published per request). */
const COUNT_PAGE = 500;
/** QStash's batch call takes up to 100 messages. */
const EXPIRY_BATCH = 100;

/**
 * Hands a stored notification to each of its audiences, keyed by its id so
 * a repeat (a retried request, the sweep) is dropped by the shard. A
 * notification for one user whose new unread count is already known (it
 * was counted in the insert's own batch) travels with its `count` event in
 * the same request. The outbox row is cleared, and other counts pushed, in
 * the background: the caller's answer waits for neither, and should the
 * clearing be lost, the sweep's retry publishes nothing twice. Clearing
 * records the live connections it reached (the operator's `channels.live`).
 *
 * Pushes follow the publish: a user's from what their own result says
 * (queue_pushes.ts), a broadcast's from the members online once it is out
 * — the same list its counts go to — paged through QStash
 * (push_members.ts).
 *
 * A broadcast's counts go only to the members online (each shard says
 * who, once the broadcast is out): counted in pages of one query each, and
 * published grouped by shard, so a role of 100,000 members with 10,000 online costs work in
 * proportion to the 10,000 and requests in proportion to the shards. The
 * others read their count when they next look (one INCR invalidated every
 * member's cached count).
 */
export async function fanOut({ ctx, n, opts = {} }: {
  ctx: ServiceContext;
  n: StoredNotification;
  opts?: { unread?: number | null; push?: boolean };
}): Promise<void> {
  const { unread = null, push = true } = opts;
  const view = toView(n, null);
  const refs = n.audiences.map(parseAudience);
  const users = refs.filter((r) => r.kind === "user").map((r) => r.name);
  const broadcast = refs.filter((r) => r.kind !== "user");
  const events: Addressed[] = refs.map((to) => ({
    to,
    event: {
      event: "notification",
      data: view,
      key: n.id,
      sentAt: n.createdAt,
      ...expiring(n),
    },
  }));
  const [only] = refs;
  const countKnown = refs.length === 1 && only?.kind === "user" &&
    unread !== null;
  if (countKnown) {
    events.push({
      to: only,
      event: { event: "count", data: { unread }, ephemeral: true },
    });
  }
  // Cached counts are invalidated alongside the publish, and both are done
  // before the caller answers, so a count read after it is never stale.
  const [, , published] = await Promise.all([
    ctx.cache.invalidate(users),
    ctx.cache.bump(broadcast.map(formatAudience)),
    ctx.channels.publish(events),
  ]);
  // A repeat (a finished half-done fan-out) published nothing new.
  const fresh = !published.slice(0, refs.length).every((r) => r.duplicate);
  const live = liveOf(published, refs.length);
  if (fresh && broadcast.length === 0) {
    // Each user audience's own result says whether it was reached live.
    const delivered: Delivered[] = refs.map((to, i) => ({
      notification: n,
      userId: to.name,
      live: published[i]?.delivered ?? 0,
    }));
    ctx.background(
      pushThenTell(ctx, delivered, new Map([[n.id, live]]), { push }),
    );
  } else if (fresh) {
    // A broadcast's delivered event waits for its member pages' pushes.
    ctx.background(emitEvents({ ctx, events: [notificationCreated(n)] }));
  }
  ctx.log.info("notification.sent", {
    notification: n.id,
    type: n.type,
    audiences: refs.length,
  });
  ctx.background(scheduleExpiries(ctx, [n]));
  ctx.background((async () => {
    await clearOutbox(
      ctx.db,
      n.id,
      fresh ? new Map([[n.id, live]]) : undefined,
    );
    const online = await ctx.channels.online(broadcast);
    await Promise.all([
      pushCounts(ctx, countKnown ? online : [...users, ...online]),
      fresh && push && broadcast.length > 0
        ? pushToMembers({ ctx, n, o: { reached: online, live } })
        : undefined,
    ]);
  })());
}

/**
 * Notifications to users: their pushes queued, then the host app told
 * `notification.created` and `notification.delivered` — after the pushes,
 * so `channels.push` counts them (0 when queuing failed: logged).
 */
async function pushThenTell(
  ctx: ServiceContext,
  delivered: readonly Delivered[],
  live: ReadonlyMap<string, number>,
  opts: { push: boolean } = { push: true },
): Promise<void> {
  let queued = new Map<string, number>();
  try {
    // No push now (a digest's item): the digest pushes once when it closes.
    if (opts.push) queued = await queuePushes({ ctx, delivered });
  } catch (error) {
    ctx.log.warn("push.unqueued", {
      notifications: delivered.length,
      error: error instanceof Error ? error.name : "unknown",
    });
  }
  // One pair per notification, however many users it is for.
  const notifications = new Map(
    delivered.map(({ notification: n }) => [n.id, n]),
  );
  await emitEvents({
    ctx,
    events: [...notifications.values()].flatMap((n) => [
      notificationCreated(n),
      notificationDelivered(n, {
        live: live.get(n.id) ?? 0,
        push: queued.get(n.id) ?? 0,
      }),
    ]),
  });
}

/** A stored notification for one user, with their unread count if known. */
export interface ToUser {
  notification: StoredNotification;
  userId: string;
  unread: number | null;
}

/**
 * `fanOut` for many notifications each addressed to one user (a slot
 * page's occurrences), with the same rules, at the cost of one: one
 * publish (a request per shard, each notification with its `count`), one
 * Redis call invalidating every count, and one statement clearing every
 * outbox row in the background. Counts not known are pushed after.
 */
export async function fanOutToUsers({ ctx, items }: {
  ctx: ServiceContext;
  items: readonly ToUser[];
}): Promise<void> {
  if (items.length === 0) return;
  const events: Addressed[] = items.flatMap(
    ({ notification: n, userId, unread }): Addressed[] => {
      const to: ChannelRef = { kind: "user", name: userId };
      const sent: Addressed = {
        to,
        event: {
          event: "notification",
          data: toView(n, null),
          key: n.id,
          sentAt: n.createdAt,
          ...expiring(n),
        },
      };
      return unread === null ? [sent] : [sent, {
        to,
        event: { event: "count", data: { unread }, ephemeral: true },
      }];
    },
  );
  const [, published] = await Promise.all([
    ctx.cache.invalidate([...new Set(items.map((i) => i.userId))]),
    ctx.channels.publish(events),
  ]);
  const live = new Map(
    items.map(({ notification: n }) => [
      n.id,
      liveTo(events, published, n.id),
    ]),
  );
  ctx.background(pushThenTell(
    ctx,
    items.map(({ notification, userId }) => ({
      notification,
      userId,
      live: live.get(notification.id) ?? 0,
    })),
    live,
  ));
  for (const { notification: n } of items) {
    ctx.log.info("notification.sent", {
      notification: n.id,
      type: n.type,
      audiences: 1,
    });
  }
  ctx.background(scheduleExpiries(ctx, items.map((i) => i.notification)));
  const uncounted = items.filter((i) => i.unread === null).map((i) => i.userId);
  ctx.background((async () => {
    await clearOutbox(ctx.db, items.map((i) => i.notification.id), live);
    await pushCounts(ctx, uncounted);
  })());
}

/** A notification's expiry, for its live event: a resume stops replaying it then. */
function expiring(n: StoredNotification): { expiresAt?: number } {
  return n.expiresAt == null ? {} : { expiresAt: n.expiresAt };
}

/**
 * One QStash message per expiring notification, due at its expiry
 * (expire_notification.ts): counts cached or shown until then are
 * refreshed when it leaves the inbox. Deduplicated by notification, so a
 * finished half-done fan-out schedules nothing twice. A failure is logged:
 * cached counts then heal within their TTL.
 */
async function scheduleExpiries(
  ctx: ServiceContext,
  notifications: readonly StoredNotification[],
): Promise<void> {
  const expiring = notifications.filter((n) => n.expiresAt != null);
  try {
    for (let i = 0; i < expiring.length; i += EXPIRY_BATCH) {
      await ctx.scheduler.publishBatch(
        expiring.slice(i, i + EXPIRY_BATCH).map((n) => ({
          destination: ctx.config.callbackUrl,
          body: notificationExpiryBody(n.id),
          notBefore: n.expiresAt ?? undefined,
          deduplicationId: `exp-${n.id}`,
        })),
      );
    }
  } catch {
    ctx.log.warn("expiry.unscheduled", { notifications: expiring.length });
  }
}

/**
 * After a notification expired: every cached count that held it is a
 * miss (its users' versions moved, its roles' and topics' bumped), and its
 * users and the members online get their new count.
 */
export async function recountExpired({ ctx, n }: {
  ctx: ServiceContext;
  n: StoredNotification;
}): Promise<void> {
  const refs = n.audiences.map(parseAudience);
  const users = refs.filter((r) => r.kind === "user").map((r) => r.name);
  const broadcast = refs.filter((r) => r.kind !== "user");
  await Promise.all([
    ctx.cache.invalidate(users),
    ctx.cache.bump(broadcast.map(formatAudience)),
  ]);
  const online = await ctx.channels.online(broadcast);
  await pushCounts(ctx, [...users, ...online]);
}

/**
 * A notification revised in place (a digest joined): its user's cached
 * count is a miss, and their streams get a `notification` event with the
 * same id and the new content — keyed by the revision, so the shard logs
 * it as a new event rather than dropping it as a repeat — and their count.
 */
export async function publishRevision({ ctx, r }: {
  ctx: ServiceContext;
  r: {
    notification: StoredNotification;
    userId: string;
    revision: number;
    unread: number;
  };
}): Promise<void> {
  const { notification: n, userId, unread } = r;
  const to: ChannelRef = { kind: "user", name: userId };
  // Both before the caller answers, so a count read after it is fresh.
  await Promise.all([
    ctx.cache.invalidate([userId]),
    ctx.channels.publish([
      {
        to,
        event: {
          event: "notification",
          data: toView(n, null),
          key: `${n.id}#${r.revision}`,
          sentAt: n.createdAt,
          ...expiring(n),
        },
      },
      { to, event: { event: "count", data: { unread }, ephemeral: true } },
    ]),
  ]);
}

/** Connections the first `count` results (the notification's) reached. */
function liveOf(results: readonly PublishResult[], count: number): number {
  return results.slice(0, count).reduce((sum, r) => sum + r.delivered, 0);
}

/** Connections one notification of a multi-user publish reached. */
function liveTo(
  events: readonly Addressed[],
  results: readonly PublishResult[],
  id: string,
): number {
  return events.reduce(
    (sum, e, i) =>
      e.event.event === "notification" && e.event.key === id
        ? sum + (results[i]?.delivered ?? 0)
        : sum,
    0,
  );
}

/** Sends each user their unread count: a page of users per query. */
async function pushCounts(
  ctx: ServiceContext,
  userIds: string[],
): Promise<void> {
  const distinct = [...new Set(userIds)];
  for (let i = 0; i < distinct.length; i += COUNT_PAGE) {
    const counts = await countUnreadOf(
      ctx.db,
      distinct.slice(i, i + COUNT_PAGE),
      ctx.now(),
    );
    await ctx.channels.publish(
      [...counts].map(([name, unread]) => ({
        to: { kind: "user", name },
        event: { event: "count", data: { unread }, ephemeral: true },
      })),
    );
  }
}

/**
 * Finishes fan-outs whose request died before clearing the outbox (run by
 * the cron trigger). Each is retried with backoff; nothing is sent twice.
 */
export async function retryFanOuts({ ctx, limit = 100 }: {
  ctx: ServiceContext;
  limit?: number;
}): Promise<number> {
  const ids = await dueOutbox(ctx.db, ctx.now(), limit);
  let done = 0;
  for (const id of ids) {
    const n = await getNotification(ctx.db, id);
    if (!n) {
      await clearOutbox(ctx.db, id);
      continue;
    }
    try {
      await fanOut({ ctx, n });
      done++;
    } catch {
      ctx.log.warn("fanout.retry_failed", { notification: id });
      await postponeOutbox(ctx.db, id, ctx.now() + FANOUT_GRACE_MS);
    }
  }
  return done;
}
