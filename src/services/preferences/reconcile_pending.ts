import type { ServiceContext } from "../../context.ts";
import { duePendingUsers } from "../../store/preferences/preferences_store.ts";
import { SchedulerError } from "../../ports/scheduler.ts";
import {
  pendingOutcome,
  type ReconcileOutcome,
} from "../../domain/schedules/reconcile_outcome.ts";
import { reconcileUser } from "./reconcile_user.ts";
import { userTruth } from "../schedules/user_truth.ts";

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
export async function reconcilePending({ ctx, limit = 200 }: {
  ctx: ServiceContext;
  limit?: number;
}): Promise<PendingSweep> {
  const users = await duePendingUsers(ctx.db, ctx.now(), limit);
  let synced = 0;
  let attempted = 0;
  let unavailableInARow = 0;
  for (const user of users) {
    attempted++;
    const outcome = await retry(ctx, user);
    if (outcome.status === "synced") synced++;
    const unavailable = outcome.reason === "scheduler_unavailable" ||
      outcome.reason === "database_unavailable";
    unavailableInARow = unavailable ? unavailableInARow + 1 : 0;
    // A part down for everyone: stop hammering it this round. One failure
    // alone may be a part failing some calls, which the others get past.
    if (unavailableInARow === GIVE_UP_AFTER) break;
  }
  const sweep = {
    attempted,
    synced,
    stillPending: users.length - synced,
  };
  if (users.length) ctx.log.info("reconcile.sweep", { ...sweep });
  return sweep;
}

/** Failures in a row that end a sweep early. */
const GIVE_UP_AFTER = 3;

/**
 * One pending user, again. A reconcile cut short after its QStash calls
 * (libSQL lost, the isolate gone) never released its lease nor wrote its
 * ledger, which may then
 * list a schedule QStash no longer holds — and a ledger that says "held"
 * would never make it again. So a retry starts from QStash's own answer for
 * every id the ledger or the plan names (a few gets), not from the ledger.
 * Under the shared placement members are written with the release, and
 * slots are synced under their own lease (a slot whose holder was cut off
 * is in doubt, and its next holder does not trust the ledger for it), so
 * the ledger is enough there.
 */
async function retry(
  ctx: ServiceContext,
  {
    userId,
    interrupted,
  }: { userId: string; interrupted: boolean },
): Promise<ReconcileOutcome> {
  if (!interrupted || ctx.config.schedulePlacement !== "per-user") {
    // A released failure flushed its ledger writes first: the ledger holds.
    return await reconcileUser({ ctx, userId });
  }
  try {
    const { held } = await userTruth({ ctx, userId });
    return await reconcileUser({ ctx, userId, opts: { held } });
  } catch (error) {
    if (!(error instanceof SchedulerError)) throw error;
    return pendingOutcome("scheduler_unavailable");
  }
}
