import type { AppDeps, Background } from "../deps.ts";
import { retryFanOuts } from "./fan_out.ts";
import { reconcilePending } from "./reconcile_pending.ts";

/**
 * What the cron trigger (Workers) or the timer (Deno) runs every minute:
 * reconciles left pending and fan-outs left unfinished. Each part runs even
 * if the other fails.
 */
export async function runMaintenance(
  deps: AppDeps,
  background: Background,
): Promise<void> {
  const results = await Promise.allSettled([
    reconcilePending(deps),
    retryFanOuts(deps, background),
  ]);
  for (const result of results) {
    if (result.status === "rejected") {
      deps.log.error("maintenance.failed", {
        error: result.reason instanceof Error ? result.reason.name : "unknown",
      });
    }
  }
}
