import type { ServiceContext } from "../../context.ts";
import { SUBSCRIPTION_UNSEEN_MS } from "../../domain/push/subscription.ts";
import { removeStaleSubscriptions } from "../../store/push/subscription_store.ts";
import { subscriptionRemovedEvents } from "../../domain/webhooks/push_events.ts";
import { emitEvents } from "../webhooks/emit_event.ts";

/**
 * The cron trigger's clean-up of push subscriptions that will never take
 * a push again: past the browser's `expirationTime`, or refreshed by no
 * page for 60 days (Apple answers 200 for dead endpoints, so no 410 ever
 * tells). Herald's clock, like every "last seen". Each is told to the host
 * app as `push.subscription.removed` with reason `expired`.
 */
export async function sweepSubscriptions({
  ctx,
}: { ctx: ServiceContext }): Promise<number> {
  const now = ctx.now();
  const removed = await removeStaleSubscriptions(ctx.db, {
    now,
    seenBefore: now - SUBSCRIPTION_UNSEEN_MS,
  });
  for (const [reason, rows] of Object.entries(removed)) {
    if (rows.length > 0) {
      ctx.metrics.count(
        "herald_push_subscriptions_removed_total",
        { reason },
        rows.length,
      );
    }
  }
  const swept = [...removed.expired, ...removed.unseen];
  if (swept.length > 0) {
    ctx.log.info("push.swept", {
      expired: removed.expired.length,
      unseen: removed.unseen.length,
    });
    await emitEvents({
      ctx,
      events: subscriptionRemovedEvents(swept, "expired"),
    });
  }
  return swept.length;
}
