import type { DesiredSchedule } from "./schedule_plan.ts";

/** A schedule as QStash reports it, reduced to the fields Herald sets. */
export interface HeldSchedule {
  id: string;
  cron: string;
  destination: string;
  body: string;
}

/** What it takes to turn the held set into the desired set. Every list is sorted by id. */
export interface ScheduleDiff<D extends HeldSchedule = DesiredSchedule> {
  create: D[];
  update: D[];
  delete: HeldSchedule[];
  unchanged: string[];
}

function byId(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function sameSchedule(a: HeldSchedule, b: HeldSchedule): boolean {
  return a.cron === b.cron && a.destination === b.destination &&
    a.body === b.body;
}

/**
 * Compares desired with held schedules by id. `held` must already be narrowed
 * to the scope `desired` speaks for (one user's ids, via scheduleOwner):
 * anything held but not desired is deleted. Generic over the desired shape so
 * any placement's schedules can be diffed the same way.
 */
export function diffSchedules<D extends HeldSchedule>(
  desired: readonly D[],
  held: readonly HeldSchedule[],
): ScheduleDiff<D> {
  const heldById = new Map(held.map((schedule) => [schedule.id, schedule]));
  const desiredIds = new Set<string>();
  const diff: ScheduleDiff<D> = {
    create: [],
    update: [],
    delete: [],
    unchanged: [],
  };
  for (const want of desired) {
    // Two desired schedules with one id would upsert each other in turn.
    if (desiredIds.has(want.id)) {
      throw new RangeError(`Schedule id "${want.id}" is desired twice`);
    }
    desiredIds.add(want.id);
    const have = heldById.get(want.id);
    if (!have) diff.create.push(want);
    else if (sameSchedule(want, have)) diff.unchanged.push(want.id);
    else diff.update.push(want);
  }
  diff.delete = held.filter((schedule) => !desiredIds.has(schedule.id));
  diff.create.sort(byId);
  diff.update.sort(byId);
  diff.delete.sort(byId);
  diff.unchanged.sort();
  return diff;
}

export function isNoop(diff: ScheduleDiff<HeldSchedule>): boolean {
  return diff.create.length === 0 && diff.update.length === 0 &&
    diff.delete.length === 0;
}
