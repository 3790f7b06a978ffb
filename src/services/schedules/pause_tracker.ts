import type { ServiceContext } from "../../context.ts";
import { setLedgerPaused } from "../../store/schedules/schedule_ledger.ts";
import { readSchedulerRunning } from "../../store/control/scheduler_state_store.ts";

/**
 * Keeps schedules written while the scheduler is stopped paused. QStash
 * overwrites a schedule unpaused, so a write while stopped is "create, then
 * pause". The state is read once before the first write and once more after
 * the last: a stop or start that lands in between (after its own listing of
 * QStash, which would miss these writes) is caught by the second read, and
 * the written schedules are moved to whatever the state says now.
 */
export interface PauseTracker {
  /** Call right after upserting `id`; returns whether it is now paused. */
  afterUpsert(id: string): Promise<boolean>;
  /** A schedule left alone whose paused state is known (and may be wrong). */
  track(id: string, paused: boolean): void;
  /**
   * Call after the last write: moves every tracked id to the state (read
   * now, unless the caller read it already and passes it).
   */
  settle(nowRunning?: boolean): Promise<void>;
  /** Whether any id is tracked, i.e. whether settle() could move anything. */
  readonly tracking: boolean;
  /** Whether settle() would move something were the state `running`. */
  needsMove(running: boolean): boolean;
  /** The paused state of a tracked id after settle(). */
  pausedOf(id: string): boolean | undefined;
}

export function pauseTracker({ ctx, runningAtStart }: {
  ctx: ServiceContext;
  /** The state before the first write, when the caller already read it. */
  runningAtStart?: boolean;
}): PauseTracker {
  let running: boolean | null = runningAtStart ?? null;
  const written = new Map<string, boolean>();
  return {
    async afterUpsert(id) {
      running ??= await readSchedulerRunning(ctx.db);
      const paused = !running;
      if (paused) {
        await ctx.scheduler.pauseSchedule(id);
        ctx.log.info("schedule.paused", { schedule: id });
      }
      written.set(id, paused);
      return paused;
    },
    track(id, paused) {
      written.set(id, paused);
    },
    pausedOf(id) {
      return written.get(id);
    },
    get tracking() {
      return written.size > 0;
    },
    needsMove(running) {
      return [...written.values()].some((paused) => paused === running);
    },
    async settle(nowRunning) {
      if (written.size === 0) return;
      const nowPaused = !(nowRunning ?? await readSchedulerRunning(ctx.db));
      const moved = [...written].filter(([, p]) => p !== nowPaused)
        .map(([id]) => id);
      for (const id of moved) {
        if (nowPaused) await ctx.scheduler.pauseSchedule(id);
        else await ctx.scheduler.resumeSchedule(id);
        ctx.log.info(nowPaused ? "schedule.paused" : "schedule.resumed", {
          schedule: id,
        });
      }
      await setLedgerPaused(ctx.db, moved, nowPaused);
      for (const id of moved) written.set(id, nowPaused);
    },
  };
}
