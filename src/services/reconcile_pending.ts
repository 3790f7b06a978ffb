import { duePendingUsers } from "../ports/preferences_store.ts";
import { type ReconcileDeps, reconcileUser } from "./reconcile_user.ts";

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
    const outcome = await reconcileUser(deps, userId);
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
