import type { ServiceContext } from "../../context.ts";
import type { PushBody } from "../../domain/callbacks/callback_body.ts";
import { PUSH_LATENCY } from "../../domain/metrics/histogram.ts";
import { atMostAtOnce } from "../../domain/concurrency/at_most_at_once.ts";
import {
  deliveryOf,
  encodePayload,
  MAX_PUSH_ATTEMPTS,
  openUrlOf,
  type PushVerdict,
  retryDelayMs,
  topicOf,
  verdictOf,
} from "../../domain/push/push_message.ts";
import { issuePushActionToken } from "../../http/auth.ts";
import { observe } from "../../ports/metrics.ts";
import type { PushAnswer } from "../../ports/push_service.ts";
import {
  addPushCounts,
  countUnreadOf,
  notificationsByIds,
} from "../../store/notifications/notification_store.ts";
import {
  removeEndpoints,
  subscriptionsAt,
} from "../../store/push/subscription_store.ts";
import { publishPushes } from "./queue_pushes.ts";
import { emitEvents } from "../webhooks/emit_event.ts";
import { subscriptionRemovedEvents } from "../../domain/webhooks/push_events.ts";

/** A Worker request holds at most 6 outgoing connections at once. */
const PUSH_CONCURRENCY = 6;

type PushItem = PushBody["items"][number];

export interface PushBatchResult {
  sent: number;
  removed: number;
  retrying: number;
  failed: number;
  skipped: number;
}

/**
 * One QStash message's batch of pushes, 6 at a time. Each goes to a
 * subscription that is still its user's (one moved to another user, or
 * removed, is skipped), with that user's unread count and an action token
 * for that one notification. 404/410 removes the subscription; 413 sends
 * the title alone; 429, 5xx or no answer queue the push again, delayed by
 * its `Retry-After` or a doubling backoff, until MAX_PUSH_ATTEMPTS; 400,
 * 401 and 403 are counted, logged once per batch and status, and dropped.
 * Accepted pushes are added to their notifications' counts (the inbox's
 * `channels.push`); a removed subscription is told to the host app
 * (`push.subscription.removed`, reason `404` or `410`).
 */
export async function sendPushes({ ctx, body }: {
  ctx: ServiceContext;
  body: PushBody;
}): Promise<PushBatchResult> {
  const result = { sent: 0, removed: 0, retrying: 0, failed: 0, skipped: 0 };
  const { push } = ctx;
  if (!push || !ctx.config.push) {
    result.skipped = body.items.length;
    return result;
  }
  const [subs, notes, unread] = await Promise.all([
    subscriptionsAt(ctx.db, body.items.map((i) => i.endpoint)),
    notificationsByIds(ctx.db, body.items.map((i) => i.notificationId)),
    countUnreadOf(
      ctx.db,
      [...new Set(body.items.map((i) => i.userId))],
      ctx.now(),
    ),
  ]);
  const subAt = new Map(subs.map((s) => [s.endpoint, s]));
  // One push, or null when its subscription or notification is gone.
  const sendOne = async (
    item: PushItem | undefined,
  ): Promise<{ answer: PushAnswer; createdAt: number } | null> => {
    if (!item) return null;
    const sub = subAt.get(item.endpoint);
    const n = notes.get(item.notificationId);
    // Never another user's notification on a device that changed hands.
    if (!sub || sub.userId !== item.userId || !n) return null;
    const payload = {
      id: n.id,
      type: n.type,
      title: n.title,
      body: n.body,
      severity: n.severity,
      unread: unread.get(item.userId) ?? 0,
      url: openUrlOf(n.data),
      actionToken: await issuePushActionToken({
        userId: item.userId,
        notificationId: n.id,
        jwtSecret: ctx.config.jwtSecret,
      }),
      createdAt: new Date(n.createdAt).toISOString(),
    };
    const send = (withBody: boolean) =>
      push.send(sub, {
        payload: encodePayload(payload, withBody),
        ...deliveryOf(n.severity),
        topic: topicOf(n.id),
      });
    let answer = await send(item.withBody);
    if (verdictOf(answer.status) === "too_large" && item.withBody) {
      answer = await send(false);
    }
    return { answer, createdAt: n.createdAt };
  };
  const answers: ({ answer: PushAnswer; createdAt: number } | null)[] = [];
  const indices = body.items.map((_, i) => i);
  await atMostAtOnce(indices, PUSH_CONCURRENCY, async (i) => {
    answers[i] = await sendOne(body.items[i]);
  });
  // Endpoints the push service said are gone, by the status that said so.
  const gone = new Map<string, "404" | "410">();
  const again: PushItem[] = [];
  let delay = 0;
  const rejected = new Map<string, number>();
  // Accepted pushes per notification: its inbox view's `channels.push`.
  const accepted = new Map<string, number>();
  body.items.forEach((item, i) => {
    const outcome = answers[i];
    if (!outcome) {
      result.skipped++;
      return;
    }
    const { answer } = outcome;
    const verdict: PushVerdict = verdictOf(answer.status);
    if (verdict === "sent") {
      result.sent++;
      accepted.set(
        item.notificationId,
        (accepted.get(item.notificationId) ?? 0) + 1,
      );
      ctx.metrics.count("herald_push_sent_total");
      observe(
        ctx.metrics,
        PUSH_LATENCY,
        { attempt: body.attempt === 0 ? "first" : "retry" },
        Math.max(0, ctx.now() - outcome.createdAt) / 1000,
      );
    } else if (verdict === "gone") {
      gone.set(item.endpoint, answer.status === 404 ? "404" : "410");
    } else if (verdict === "retry" && body.attempt + 1 < MAX_PUSH_ATTEMPTS) {
      again.push(item);
      delay = Math.max(delay, retryDelayMs(body.attempt, answer.retryAfter));
    } else {
      result.failed++;
      const status = statusLabel(answer);
      ctx.metrics.count("herald_push_failed_total", { status });
      rejected.set(status, (rejected.get(status) ?? 0) + 1);
    }
  });
  // One line per status and batch: a misconfiguration shows once, not
  // once per device.
  for (const [status, count] of rejected) {
    ctx.log.warn("push.failed", { status, count, attempt: body.attempt });
  }
  await addPushCounts(ctx.db, accepted);
  if (gone.size > 0) {
    const removed = await removeEndpoints(ctx.db, [...gone.keys()]);
    result.removed = removed.length;
    ctx.metrics.count(
      "herald_push_subscriptions_removed_total",
      { reason: "gone" },
      result.removed,
    );
    await emitEvents({
      ctx,
      events: (["404", "410"] as const).flatMap((status) =>
        subscriptionRemovedEvents(
          removed.filter((r) => gone.get(r.endpoint) === status),
          status,
        )
      ),
    });
  }
  if (again.length > 0) {
    await publishPushes({
      ctx,
      items: again,
      at: {
        attempt: body.attempt + 1,
        notBefore: ctx.now() + delay,
      },
    });
    result.retrying = again.length;
  }
  ctx.log.info("push.batch", { ...result, attempt: body.attempt });
  return result;
}

function statusLabel(answer: PushAnswer): string {
  return answer.status === null ? "unreachable" : String(answer.status);
}
