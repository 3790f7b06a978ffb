import type { HeldWithPause } from "../domain/drift.ts";
import { diffSchedules } from "../domain/reconcile_diff.ts";
import { planUserSchedules } from "../domain/schedule_plan.ts";
import type { AppDeps } from "../deps.ts";
import { shortId } from "../ports/logger.ts";
import {
  acquireReconcileLease,
  releaseLeaseFailed,
  releaseLeaseSynced,
  type StoredPreferences,
} from "../ports/preferences_store.ts";
import {
  forgetHeld,
  heldSchedulesOf,
  recordHeld,
  replaceLedgerOf,
} from "../ports/schedule_ledger.ts";
import { SchedulerError } from "../ports/scheduler.ts";
import { pauseTracker } from "./pause_tracker.ts";
import { decodeStoredPreferences } from "./stored_preferences.ts";

export interface ReconcileOutcome {
  status: "synced" | "pending";
  created: string[];
  updated: string[];
  deleted: string[];
  unchanged: string[];
  /** Why the outcome is pending, when it is. */
  reason?: "scheduler_unavailable" | "in_progress";
}

export type ReconcileDeps = Pick<
  AppDeps,
  "db" | "scheduler" | "log" | "now" | "config"
>;

export interface ReconcileOptions {
  /**
   * What QStash really holds for this user (its list or gets), used instead
   * of the ledger for the first round: drift repair and restart.
   */
  held?: readonly HeldWithPause[];
}

/** A holder that dies keeps the lease this long at most. */
const LEASE_MS = 30_000;
/** Rounds one caller makes while newer versions keep arriving. */
const MAX_ROUNDS = 64;

/** Retry delay after the n-th failed attempt: 5 s doubling up to 10 min. */
export function retryDelayMs(attempts: number): number {
  return Math.min(600_000, 5_000 * 2 ** Math.max(0, attempts - 1));
}

/**
 * Brings QStash to the user's latest saved preferences: creates, updates and
 * deletes only that user's schedules, recording each confirmed call in the
 * ledger. Callers for one user are serialised by a lease on the preferences
 * row; a caller that finds the lease taken returns `pending`, and the holder
 * goes round again until the version it synced is the latest one. On a
 * QStash failure the row stays pending with a retry time (the cron trigger
 * picks it up), and nothing saved is lost.
 */
export async function reconcileUser(
  deps: ReconcileDeps,
  userId: string,
  opts: ReconcileOptions = {},
): Promise<ReconcileOutcome> {
  const outcome: ReconcileOutcome = {
    status: "pending",
    created: [],
    updated: [],
    deleted: [],
    unchanged: [],
  };
  const leaseId = crypto.randomUUID();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const row = await acquireReconcileLease(
      deps.db,
      userId,
      leaseId,
      deps.now(),
      LEASE_MS,
    );
    if (!row) {
      deps.log.info("reconcile.busy", { user: shortId(userId) });
      return { ...outcome, reason: "in_progress" };
    }
    try {
      await applyOnce(deps, row, outcome, round === 0 ? opts.held : undefined);
    } catch (error) {
      if (!(error instanceof SchedulerError)) {
        await releaseLeaseFailed(
          deps.db,
          userId,
          leaseId,
          "internal",
          retryAt(deps),
        );
        throw error;
      }
      await releaseLeaseFailed(
        deps.db,
        userId,
        leaseId,
        error.message,
        retryAt(deps),
      );
      deps.log.warn("reconcile.pending", {
        user: shortId(userId),
        status: error.status ?? null,
      });
      return { ...outcome, status: "pending", reason: "scheduler_unavailable" };
    }
    const status = await releaseLeaseSynced(
      deps.db,
      userId,
      leaseId,
      row.version,
    );
    if (status === "synced") {
      outcome.status = "synced";
      deps.log.info("reconcile.synced", {
        user: shortId(userId),
        created: outcome.created.length,
        updated: outcome.updated.length,
        deleted: outcome.deleted.length,
      });
      return outcome;
    }
    // A newer version was saved while we worked: go round again for it.
  }
  return { ...outcome, reason: "in_progress" };
}

function retryAt(deps: ReconcileDeps) {
  return (attempts: number) => deps.now() + retryDelayMs(attempts);
}

async function applyOnce(
  deps: ReconcileDeps,
  row: StoredPreferences,
  outcome: ReconcileOutcome,
  truth: readonly HeldWithPause[] | undefined,
): Promise<void> {
  const prefs = decodeStoredPreferences(row.data);
  const desired = planUserSchedules(row.userId, prefs, {
    destination: deps.config.callbackUrl,
    now: deps.now(),
  });
  const held = truth ?? await heldSchedulesOf(deps.db, row.userId);
  const diff = diffSchedules(desired, held);
  const pauses = pauseTracker(deps);
  // With QStash's own list as the truth every kept schedule's paused state
  // is checked; with the ledger, only those it says are paused (running
  // schedules of a stopped scheduler are the stop operation's job).
  const unchanged = new Set(diff.unchanged);
  for (const h of held) {
    if (unchanged.has(h.id) && (truth || h.paused)) {
      pauses.track(h.id, h.paused);
    }
  }
  // Sequential on purpose: QStash rate-limits its management API in bursts.
  for (const schedule of diff.delete) {
    await deps.scheduler.deleteSchedule(schedule.id);
    await forgetHeld(deps.db, schedule.id);
    note(outcome.deleted, schedule.id);
    deps.log.info("schedule.deleted", {
      user: shortId(row.userId),
      schedule: schedule.id,
    });
  }
  for (
    const [list, kind] of [[diff.create, "created"], [
      diff.update,
      "updated",
    ]] as const
  ) {
    for (const schedule of list) {
      await deps.scheduler.upsertSchedule(schedule);
      const paused = await pauses.afterUpsert(schedule.id);
      await recordHeld(deps.db, schedule, deps.now(), paused);
      note(outcome[kind], schedule.id);
      deps.log.info(`schedule.${kind}`, {
        user: shortId(row.userId),
        schedule: schedule.id,
      });
    }
  }
  await pauses.settle();
  if (truth) {
    // The ledger had drifted from QStash: make it say what QStash now holds.
    await replaceLedgerOf(
      deps.db,
      row.userId,
      desired.map((schedule) => ({
        schedule,
        paused: pauses.pausedOf(schedule.id) ?? false,
      })),
      deps.now(),
    );
  }
  const touched = new Set([...outcome.created, ...outcome.updated]);
  outcome.unchanged = diff.unchanged.filter((id) => !touched.has(id));
}

function note(list: string[], id: string) {
  if (!list.includes(id)) list.push(id);
}
