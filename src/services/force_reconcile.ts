import { compareHeld, type DriftEntry } from "../domain/drift.ts";
import type { AppDeps } from "../deps.ts";
import { dependencyUnavailable } from "../errors.ts";
import { shortId } from "../ports/logger.ts";
import { forgetHeld } from "../ports/schedule_ledger.ts";
import { readSchedulerRunning } from "../ports/scheduler_state_store.ts";
import { type ReconcileOutcome, reconcileUser } from "./reconcile_user.ts";
import { userTruth } from "./user_truth.ts";

type Deps = Pick<AppDeps, "db" | "scheduler" | "log" | "now" | "config">;

export interface ForcedReconcile {
  userId: string;
  /** How QStash compared with the plan before the repair. */
  drift: DriftEntry[];
  reconcile: ReconcileOutcome;
}

/**
 * `POST /v1/scheduler/users/:userId/reconcile`: drift repair for one user,
 * against what QStash answers rather than what the ledger remembers. A user
 * without preferences has nothing wanted: whatever QStash holds under their
 * ids is deleted.
 */
export async function forceReconcile(
  deps: Deps,
  userId: string,
): Promise<ForcedReconcile> {
  const [truth, running] = await Promise.all([
    userTruth(deps, userId),
    readSchedulerRunning(deps.db),
  ]);
  const drift = compareHeld(truth.desired, truth.held, !running);
  deps.log.info("reconcile.forced", {
    user: shortId(userId),
    drifted: drift.filter((e) => e.state !== "ok").length,
  });
  if (!truth.known) {
    const deleted: string[] = [];
    for (const s of truth.held) {
      await deps.scheduler.deleteSchedule(s.id);
      await forgetHeld(deps.db, s.id);
      deleted.push(s.id);
      deps.log.info("schedule.deleted", {
        user: shortId(userId),
        schedule: s.id,
      });
    }
    return {
      userId,
      drift,
      reconcile: {
        status: "synced",
        created: [],
        updated: [],
        deleted,
        unchanged: [],
      },
    };
  }
  const reconcile = await reconcileUser(deps, userId, { held: truth.held });
  if (reconcile.reason === "scheduler_unavailable") {
    throw dependencyUnavailable("qstash");
  }
  if (reconcile.reason === "database_unavailable") {
    throw dependencyUnavailable("libsql");
  }
  return { userId, drift, reconcile };
}
