import type { JobDefinition } from "./job_definition.ts";
import { triggerCron } from "./job_trigger.ts";
import { scheduleOwner } from "../schedules/schedule_plan.ts";
import { slotOfScheduleId } from "../schedules/slot_plan.ts";

/**
 * A system job is one QStash schedule under its own prefix, `herald.j.<id>`,
 * beside the users' `herald.u.…`: ids stay deterministic (upsert, delete,
 * orphan detection) and the two kinds never collide.
 */
const JOB_SCHEDULE_PREFIX = "herald.j.";
const JOB_SCHEDULE_ID = /^herald\.j\.([A-Za-z0-9][A-Za-z0-9_-]{0,63})$/;

export interface DesiredJobSchedule {
  id: string;
  jobId: string;
  cron: string;
  destination: string;
  body: string;
}

export function jobScheduleId(jobId: string): string {
  return `${JOB_SCHEDULE_PREFIX}${jobId}`;
}

/** The job id a schedule id names, or null if it is not a job's. */
export function jobOwner(scheduleId: string): string | null {
  return JOB_SCHEDULE_ID.exec(scheduleId)?.[1] ?? null;
}

/** Whether Herald made this schedule (a user's, a slot's or a job's). */
export function isHeraldSchedule(scheduleId: string): boolean {
  return jobOwner(scheduleId) !== null || scheduleOwner(scheduleId) !== null ||
    slotOfScheduleId(scheduleId) !== null;
}

/**
 * The firing names only the job: the run reads the job's current target, so
 * changing what a job does never rewrites its schedule.
 */
export function jobRunBody(
  jobId: string,
  trigger: "schedule" | "startup" = "schedule",
): string {
  return JSON.stringify({ kind: "job-run", jobId, trigger });
}

/** The schedule for a job (its trigger must have been validated). */
export function planJobSchedule(
  job: Pick<JobDefinition, "id" | "trigger">,
  destination: string,
): DesiredJobSchedule {
  const cron = triggerCron(job.trigger);
  if (!cron.ok) {
    throw new RangeError(`Job "${job.id}" has an invalid trigger`);
  }
  return {
    id: jobScheduleId(job.id),
    jobId: job.id,
    cron: cron.cron,
    destination,
    body: jobRunBody(job.id),
  };
}
