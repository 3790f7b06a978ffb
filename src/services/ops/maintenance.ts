import type { ServiceContext } from "../../context.ts";
import { sweepSubscriptions } from "../push/sweep_subscriptions.ts";
import { retryFanOuts } from "../delivery/notify_channels.ts";
import { reconcilePending } from "../preferences/reconcile_pending.ts";
import { resumeStalledOperations } from "../control/scheduler_operations.ts";
import { syncPendingJobs } from "../jobs/system_jobs.ts";
import { sweepSlots } from "../schedules/slot_schedules.ts";
import { drainOutbox } from "../outbox/publish_outbox.ts";

/**
 * What the cron trigger (Workers) or the timer (Deno) runs every minute:
 * reconciles left pending, fan-outs left unfinished, system jobs whose
 * schedule QStash has not confirmed, a scheduler operation whose runner
 * died, shared slots whose schedule does not match their members yet, and
 * push subscriptions expired or unseen for 60 days, QStash messages kept
 * while QStash was down, and this isolate's counters. Each part runs even if another fails.
 */
export async function runMaintenance(
  { ctx }: { ctx: ServiceContext },
): Promise<void> {
  const results = await Promise.allSettled([
    reconcilePending({ ctx }),
    retryFanOuts({ ctx }),
    syncPendingJobs({ ctx }),
    resumeStalledOperations({ ctx }),
    sweepSlots({ ctx }),
    sweepSubscriptions({ ctx }),
    drainOutbox({ ctx }),
    ctx.metrics.flush(ctx.db, ctx.now()),
  ]);
  for (const result of results) {
    if (result.status === "rejected") {
      ctx.log.error("maintenance.failed", {
        error: result.reason instanceof Error ? result.reason.name : "unknown",
      });
    }
  }
}
