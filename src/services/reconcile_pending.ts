import { duePendingUsers } from "../ports/preferences_store.ts";
import { SchedulerError } from "../ports/scheduler.ts";
import {
  type ReconcileDeps,
  type ReconcileOutcome,
  reconcileUser,
} from "./reconcile_user.ts";
import { userTruth } from "./user_truth.ts";

export interface PendingSweep {
  attempted: number;
  synced: number;
  stillPending: number;
}

/**
 * Retries every user whose reconcile is due (a save during a QStash outage,
 * a holder that died). Run by the Worker's cron trigger and by the Deno
 * entry's timer; sequential, like every reconcile.
 */
export async function reconcilePending(
  deps: ReconcileDeps,
  limit = 200,
): Promise<PendingSweep> {
  const users = await duePendingUsers(deps.db, deps.now(), limit);
  let synced = 0;
  for (const userId of users) {
    const outcome = await retry(deps, userId);
    if (outcome.status === "synced") synced++;
    // QStash or libSQL is down for everyone: stop hammering it this round.
    else if (
      outcome.reason === "scheduler_unavailable" ||
      outcome.reason === "database_unavailable"
    ) break;
  }
  const sweep = {
    attempted: users.length,
    synced,
    stillPending: users.length - synced,
  };
  if (users.length) deps.log.info("reconcile.sweep", { ...sweep });
  return sweep;
}

/**
 * One pending user, again. A reconcile cut short after its QStash calls
 * (libSQL lost, the isolate gone) never wrote its ledger, which may then
 * list a schedule QStash no longer holds — and a ledger that says "held"
 * would never make it again. So a retry starts from QStash's own answer for
 * every id the ledger or the plan names (a few gets), not from the ledger.
 * Under the shared placement members are written with the release, and
 * slots are synced under their own lease, so the ledger is enough there.
 */
async function retry(
  deps: ReconcileDeps,
  userId: string,
): Promise<ReconcileOutcome> {
  if (deps.config.schedulePlacement !== "per-user") {
    return await reconcileUser(deps, userId);
  }
  try {
    const { held } = await userTruth(deps, userId);
    return await reconcileUser(deps, userId, { held });
  } catch (error) {
    if (!(error instanceof SchedulerError)) throw error;
    return {
      status: "pending",
      created: [],
      updated: [],
      deleted: [],
      unchanged: [],
      reason: "scheduler_unavailable",
    };
  }
}
