import type { ServiceContext } from "../../context.ts";
import {
  splitAudiences,
  userAudience,
} from "../../domain/delivery/audience.ts";
import type { ScheduledSendBody } from "../../domain/callbacks/callback_body.ts";
import { type SendFate, sendFate } from "../../domain/delivery/send_fate.ts";
import {
  addInstant,
  claimInstant,
  getScheduledSend,
  type ScheduledInstant,
  type SendContent,
} from "../../store/notifications/scheduled_store.ts";
import { preferencesOfUsers } from "../../store/preferences/preferences_store.ts";
import { decodeStoredPreferences } from "../schedules/stored_preferences.ts";
import { emitEvents } from "../webhooks/emit_event.ts";
import { storeAndNotify, storeAndNotifyUsers } from "./create_notification.ts";
import { scheduledMessage } from "./scheduled_message.ts";

type Fate = SendFate;

/**
 * Delivers one instant of a `deliverAt` send, once: the instant is claimed
 * first (a cancel that got there first wins, and nothing is delivered),
 * then each user recipient is checked as any notification is — a user who
 * switched the type (or everything) off gets nothing, one inside quiet
 * hours gets it when they end (a new instant of the same send) — and the
 * rest are stored and sent together, one notification each, keyed by send
 * and user so a retried message makes nothing twice. A role or topic
 * instant is one broadcast. `schedule.sent` is emitted by the claim only.
 */
export async function deliverScheduled({ ctx, body }: {
  ctx: ServiceContext;
  body: Pick<ScheduledSendBody, "sendId" | "key">;
}): Promise<Record<string, unknown>> {
  const now = ctx.now();
  const claim = await claimInstant(ctx.db, { ...body, now });
  if (claim.state === "cancelled" || claim.state === "missing") {
    ctx.log.info("schedule.not_delivered", {
      scheduled: body.sendId,
      reason: claim.state,
    });
    return { status: "skipped", reason: claim.state };
  }
  const found = await getScheduledSend(ctx.db, body.sendId);
  if (!found) return { status: "skipped", reason: "missing" };
  const { content } = found.send;
  const { instant } = claim;
  const { users, broadcast } = splitAudiences(instant.recipients);
  const fates = await fatesOf(ctx, { users, content, instant, now });
  // A cancel after this claim stops what quiet hours would have deferred.
  if (found.send.cancelledAt === null) {
    await deferQuiet(ctx, { sendId: body.sendId, instant, fates, now });
  }
  const due = users.filter((u) => fates.get(u)?.kind === "deliver");
  const notification = {
    type: content.type,
    title: content.title,
    body: content.body,
    severity: content.severity,
    data: content.data,
    source: "api" as const,
    expires: content.expires,
  };
  await Promise.all([
    storeAndNotifyUsers({
      ctx,
      items: due.map((userId) => ({
        userId,
        content: {
          ...notification,
          idempotencyKey: `sched:${body.sendId}:${userId}`,
        },
      })),
    }),
    broadcast.length === 0 ? null : storeAndNotify({
      ctx,
      content: { ...notification, idempotencyKey: `sched:${body.sendId}` },
      audiences: broadcast,
    }),
  ]);
  if (claim.state === "claimed") {
    ctx.background(emitEvents({
      ctx,
      events: [{
        type: "schedule.sent",
        data: {
          scheduledId: body.sendId,
          at: new Date(instant.at).toISOString(),
          status: "sent",
          recipients: instant.recipients.length,
        },
      }],
    }));
  }
  const count = (kind: Fate["kind"]) =>
    [...fates.values()].filter((f) => f.kind === kind).length;
  return {
    status: "sent",
    delivered: due.length + broadcast.length,
    skipped: count("skip"),
    deferred: count("defer"),
  };
}

/** Each user's fate by their saved preferences (`sendFate`), now. */
async function fatesOf(
  ctx: ServiceContext,
  p: {
    users: readonly string[];
    content: SendContent;
    instant: ScheduledInstant;
    now: number;
  },
): Promise<Map<string, Fate>> {
  const [stored, catalogue] = await Promise.all([
    preferencesOfUsers(ctx.db, p.users),
    ctx.catalogue(),
  ]);
  const saved = new Map(
    stored.map((s) => [s.userId, decodeStoredPreferences(s.data, catalogue)]),
  );
  const at = {
    type: p.content.type,
    critical: catalogue.get(p.content.type)?.critical === true,
    quiet: p.instant.quiet,
    instant: p.now,
  };
  return new Map(
    p.users.map((u) => [u, sendFate(saved.get(u) ?? null, at)]),
  );
}

/**
 * Users inside quiet hours become new instants of the send at each end of
 * quiet hours (not deferred again), each with its own message. Cancelling
 * the send cancels them too; a send cancelled meanwhile gets none.
 */
async function deferQuiet(
  ctx: ServiceContext,
  p: {
    sendId: string;
    instant: ScheduledInstant;
    fates: ReadonlyMap<string, Fate>;
    now: number;
  },
): Promise<void> {
  const byEnd = new Map<number, string[]>();
  for (const [userId, fate] of p.fates) {
    if (fate.kind !== "defer") continue;
    byEnd.set(fate.until, [
      ...byEnd.get(fate.until) ?? [],
      userAudience(userId),
    ]);
  }
  for (const [until, recipients] of byEnd) {
    const instant = {
      key: `${p.instant.key}.q${until.toString(36)}`,
      at: until,
      recipients,
      quiet: false,
    };
    if (!(await addInstant(ctx.db, p.sendId, instant))) return;
    await ctx.scheduler.publishMessage(
      scheduledMessage({ ctx, m: { sendId: p.sendId, instant, now: p.now } }),
    );
  }
}
