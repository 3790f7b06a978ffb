import type { ServiceContext } from "../../context.ts";
import { compareHeld, type DriftEntry } from "../../domain/schedules/drift.ts";
import { slotOfScheduleId } from "../../domain/schedules/slot_plan.ts";
import { SchedulerError } from "../../ports/scheduler.ts";
import { userEntries } from "./drift_report.ts";
import { syncSlots } from "../schedules/slot_schedules.ts";
import { memberWrites } from "../../store/schedules/slot_store.ts";
import { dependencyUnavailable } from "../../errors.ts";
import { shortId } from "../../domain/codecs/log_redaction.ts";
import { forgetHeld } from "../../store/schedules/schedule_ledger.ts";
import { readSchedulerRunning } from "../../store/control/scheduler_state_store.ts";
import type { ReconcileOutcome } from "../../domain/schedules/reconcile_outcome.ts";
import { reconcileUser } from "../preferences/reconcile_user.ts";
import { type UserTruth, userTruth } from "../schedules/user_truth.ts";

export interface ForcedReconcile {
  userId: string;
  /** How QStash compared with the plan before the repair. */
  drift: DriftEntry[];
  reconcile: ReconcileOutcome;
  /** Slot schedules the repair made again or deleted (shared placement). */
  slots: string[];
}

/**
 * `POST /v1/scheduler/users/:userId/reconcile`: drift repair for one user,
 * against what QStash answers rather than what the ledger remembers. A user
 * without preferences has nothing wanted: whatever QStash holds under their
 * ids is deleted.
 */
export async function forceReconcile({ ctx, userId }: {
  ctx: ServiceContext;
  userId: string;
}): Promise<ForcedReconcile> {
  const [truth, running] = await Promise.all([
    userTruth({ ctx, userId }),
    readSchedulerRunning(ctx.db),
  ]);
  const drift = userEntries(truth, !running);
  ctx.log.info("reconcile.forced", {
    user: shortId(userId),
    drifted: drift.filter((e) => e.state !== "ok").length,
  });
  if (!truth.known) {
    const deleted: string[] = [];
    for (const s of truth.held) {
      await ctx.scheduler.deleteSchedule(s.id);
      await forgetHeld(ctx.db, s.id);
      deleted.push(s.id);
      ctx.log.info("schedule.deleted", {
        user: shortId(userId),
        schedule: s.id,
      });
    }
    // Members left behind by a user who has no preferences any more.
    const members = truth.storedMembers;
    const [first, ...rest] = memberWrites(ctx.db, userId, {
      remove: members.map((m) => m.id),
      put: [],
      now: ctx.now(),
    });
    if (first) await ctx.db.batch([first, ...rest]);
    deleted.push(...members.map((m) => m.id));
    const synced = await syncSlots({ ctx, slots: members.map((m) => m.slot) });
    return {
      slots: [...synced.created, ...synced.deleted].sort(),
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
  const reconcile = await reconcileUser({
    ctx,
    userId,
    opts: { held: truth.held },
  });
  if (reconcile.reason === "scheduler_unavailable") {
    throw dependencyUnavailable("qstash");
  }
  if (reconcile.reason === "database_unavailable") {
    throw dependencyUnavailable("libsql");
  }
  const slots = await healSlots(ctx, truth, !running);
  return { userId, drift, reconcile, slots };
}

/**
 * The slots this user needs whose schedule QStash lost or changed behind
 * Herald's back: forgotten in the ledger, so the slot sync makes them again.
 */
async function healSlots(
  ctx: ServiceContext,
  truth: UserTruth,
  wantPaused: boolean,
): Promise<string[]> {
  const held = new Map(truth.heldSlots.map((s) => [s.id, s]));
  const broken = truth.desiredSlots.filter((want) => {
    const have = held.get(want.id);
    return !have || compareHeld([want], [have], wantPaused)[0]?.state !==
        "ok";
  });
  for (const spec of broken) await forgetHeld(ctx.db, spec.id);
  const slots = broken.flatMap((s) => {
    const slot = slotOfScheduleId(s.id);
    return slot === null ? [] : [slot];
  });
  try {
    const synced = await syncSlots({ ctx, slots });
    return [...synced.created, ...synced.deleted].sort();
  } catch (error) {
    if (error instanceof SchedulerError) throw dependencyUnavailable("qstash");
    throw error;
  }
}
