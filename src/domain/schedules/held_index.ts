import type { HeldWithPause } from "./drift.ts";
import { jobOwner } from "../jobs/job_schedule.ts";
import { scheduleOwner } from "./schedule_plan.ts";
import { slotOfScheduleId } from "./slot_plan.ts";

/**
 * QStash's full list of schedules, sorted out by owner: each user's
 * schedules, each system job's, and nothing else (other systems may share
 * the QStash account; Herald never touches what it did not make).
 */
export interface HeldIndex {
  users: Map<string, HeldWithPause[]>;
  jobs: Map<string, HeldWithPause>;
  /** Shared slots' schedules, by slot ("HHMM"). */
  slots: Map<string, HeldWithPause>;
}

export function indexHeld(list: readonly HeldWithPause[]): HeldIndex {
  const index: HeldIndex = {
    users: new Map(),
    jobs: new Map(),
    slots: new Map(),
  };
  for (const schedule of list) {
    const held: HeldWithPause = {
      id: schedule.id,
      cron: schedule.cron,
      destination: schedule.destination,
      body: schedule.body,
      paused: schedule.paused,
    };
    const jobId = jobOwner(schedule.id);
    if (jobId !== null) {
      index.jobs.set(jobId, held);
      continue;
    }
    const slot = slotOfScheduleId(schedule.id);
    if (slot !== null) {
      index.slots.set(slot, held);
      continue;
    }
    const owner = scheduleOwner(schedule.id);
    if (!owner) continue;
    const mine = index.users.get(owner.userId);
    if (mine) mine.push(held);
    else index.users.set(owner.userId, [held]);
  }
  return index;
}
