import { SUBSCRIPTION_UNSEEN_MS } from "../../domain/push/subscription.ts";
import type { AppDeps } from "../../deps.ts";
import { removeStaleSubscriptions } from "../../store/push/subscription_store.ts";

type Deps = Pick<AppDeps, "db" | "now" | "metrics" | "log">;

/**
 * The cron trigger's clean-up of push subscriptions that will never take
 * a push again: past the browser's `expirationTime`, or refreshed by no
 * page for 60 days (Apple answers 200 for dead endpoints, so no 410 ever
 * tells). Herald's clock, like every "last seen".
 */
export async function sweepSubscriptions(deps: Deps): Promise<number> {
  const now = deps.now();
  const removed = await removeStaleSubscriptions(deps.db, {
    now,
    seenBefore: now - SUBSCRIPTION_UNSEEN_MS,
  });
  for (const [reason, count] of Object.entries(removed)) {
    if (count > 0) {
      deps.metrics.count(
        "herald_push_subscriptions_removed_total",
        { reason },
        count,
      );
    }
  }
  const total = removed.expired + removed.unseen;
  if (total > 0) deps.log.info("push.swept", removed);
  return total;
}
