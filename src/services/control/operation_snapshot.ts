import type { ServiceContext } from "../../context.ts";
import {
  type HeldIndex,
  indexHeld,
} from "../../domain/schedules/held_index.ts";
import { isHeraldSchedule } from "../../domain/jobs/job_schedule.ts";
import type { PageCounts } from "../../store/control/operation_store.ts";
import type { HeldScheduleInfo } from "../../ports/scheduler.ts";
import { DatabaseUnavailableError } from "../../store/database_outage.ts";
import { SchedulerError } from "../../ports/scheduler.ts";
import { readSchedulerRunning } from "../../store/control/scheduler_state_store.ts";
import {
  type ReconcileOptions,
  reconcileUser,
} from "../preferences/reconcile_user.ts";

/**
 * What every page of one operation call shares: QStash's list, read once
 * per call (one API read however many users there are), and the state the
 * schedules should be in.
 */
export interface OperationSnapshot {
  /** Herald's schedules as QStash holds them, sorted by id. */
  held: HeldScheduleInfo[];
  index: HeldIndex;
  wantPaused: boolean;
  /** Ids this call deleted (its list still shows them). */
  removed: Set<string>;
}

export async function loadSnapshot(
  { ctx }: { ctx: ServiceContext },
): Promise<OperationSnapshot> {
  const running = await readSchedulerRunning(ctx.db);
  const held = (await ctx.scheduler.listSchedules())
    .filter((s) => isHeraldSchedule(s.id))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    held,
    index: indexHeld(held),
    wantPaused: !running,
    removed: new Set(),
  };
}

/** One page's work: where the operation goes next and what it did. */
export interface PageResult {
  phase: string;
  cursor: string | null;
  counts: PageCounts;
}

export type PageStep = (
  ctx: ServiceContext,
  snapshot: OperationSnapshot,
  at: { phase: string; cursor: string | null },
  pageSize: number,
) => Promise<PageResult>;

export const DONE = "done";

/**
 * One user's reconcile inside an operation, added to the page's counts. A
 * QStash failure fails the operation here, so it resumes from this page.
 */
export async function reconcileCounted({ ctx, userId, counts, opts = {} }: {
  ctx: ServiceContext;
  userId: string;
  counts: {
    created: number;
    updated: number;
    deleted: number;
    unchanged: number;
  };
  opts?: ReconcileOptions;
}): Promise<void> {
  const outcome = await reconcileUser({ ctx, userId, opts });
  if (outcome.reason === "scheduler_unavailable") {
    throw new SchedulerError("QStash failed during the operation");
  }
  if (outcome.reason === "database_unavailable") {
    throw new DatabaseUnavailableError("lost during the operation");
  }
  counts.created += outcome.created.length;
  counts.updated += outcome.updated.length;
  counts.deleted += outcome.deleted.length;
  counts.unchanged += outcome.unchanged.length;
}
