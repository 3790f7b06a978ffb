import type { ServiceContext } from "../../context.ts";
import { setLedgerPaused } from "../../store/schedules/schedule_ledger.ts";
import { SchedulerError } from "../../ports/scheduler.ts";
import {
  DONE,
  type OperationSnapshot,
  type PageResult,
  type PageStep,
} from "./operation_snapshot.ts";

/**
 * Stop and start: walk every schedule QStash holds under Herald's prefixes,
 * in id order, pausing (stop) or resuming (start) those not already so, and
 * write the same state into the ledger page by page. Schedules already in
 * the wanted state cost no call, so a resumed or repeated operation only
 * does what is left.
 */
export const PAUSE_FIRST_PHASE = "schedules";

export const pauseStep: PageStep = async (ctx, snapshot, at, pageSize) => {
  if (at.phase !== PAUSE_FIRST_PHASE) {
    return { phase: DONE, cursor: null, counts: {} };
  }
  return await togglePage(ctx, snapshot, at.cursor, pageSize);
};

async function togglePage(
  ctx: ServiceContext,
  snapshot: OperationSnapshot,
  after: string | null,
  pageSize: number,
): Promise<PageResult> {
  const start = after === null
    ? 0
    : snapshot.held.findIndex((s) => s.id > after);
  const page = start < 0 ? [] : snapshot.held.slice(start, start + pageSize);
  const last = page[page.length - 1];
  if (!last) return { phase: DONE, cursor: null, counts: {} };
  let toggled = 0;
  for (const schedule of page) {
    if (schedule.paused === snapshot.wantPaused) continue;
    try {
      if (snapshot.wantPaused) await ctx.scheduler.pauseSchedule(schedule.id);
      else await ctx.scheduler.resumeSchedule(schedule.id);
    } catch (error) {
      // Deleted since the list was read (a user switched it off): done.
      if (error instanceof SchedulerError && error.status === 404) continue;
      throw error;
    }
    toggled++;
    ctx.log.info(
      snapshot.wantPaused ? "schedule.paused" : "schedule.resumed",
      {
        schedule: schedule.id,
      },
    );
  }
  await setLedgerPaused(ctx.db, page.map((s) => s.id), snapshot.wantPaused);
  return {
    phase: PAUSE_FIRST_PHASE,
    cursor: last.id,
    counts: snapshot.wantPaused ? { paused: toggled } : { resumed: toggled },
  };
}
