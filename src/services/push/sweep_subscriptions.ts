import { SUBSCRIPTION_UNSEEN_MS } from "../../domain/push/subscription.ts";
import type { AppDeps } from "../../deps.ts";
import { removeStaleSubscriptions } from "../../store/push/subscription_store.ts";
import { subscriptionRemovedEvents } from "../../domain/webhooks/push_events.ts";
import { emitEvents } from "../webhooks/emit_event.ts";

type Deps = Pick<
  AppDeps,
  "db" | "now" | "metrics" | "log" | "scheduler" | "config"
>;

/**
 * The cron trigger's clean-up of push subscriptions that will never take
 * a push again: past the browser's `expirationTime`, or refreshed by no
 * page for 60 days (Apple answers 200 for dead endpoints, so no 410 ever
 * tells). Herald's clock, like every "last seen". Each is told to the host
 * app as `push.subscription.removed` with reason `expired`.
 */
export async function sweepSubscriptions(deps: Deps): Promise<number> {
  const now = deps.now();
  const removed = await removeStaleSubscriptions(deps.db, {
    now,
    seenBefore: now - SUBSCRIPTION_UNSEEN_MS,
  });
  for (const [reason, rows] of Object.entries(removed)) {
    if (rows.length > 0) {
      deps.metrics.count(
        "herald_push_subscriptions_removed_total",
        { reason },
        rows.length,
      );
    }
  }
  const swept = [...removed.expired, ...removed.unseen];
  if (swept.length > 0) {
    deps.log.info("push.swept", {
      expired: removed.expired.length,
      unseen: removed.unseen.length,
    });
    await emitEvents(deps, subscriptionRemovedEvents(swept, "expired"));
  }
  return swept.length;
}
