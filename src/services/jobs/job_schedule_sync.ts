import type { ServiceContext } from "../../context.ts";
import type { HeldWithPause } from "../../domain/schedules/drift.ts";
import type { JobDefinition } from "../../domain/jobs/job_definition.ts";
import {
  jobScheduleId,
  planJobSchedule,
} from "../../domain/jobs/job_schedule.ts";
import {
  forgetHeld,
  recordJobHeld,
} from "../../store/schedules/schedule_ledger.ts";
import { pauseTracker } from "../schedules/pause_tracker.ts";

type JobSync = "created" | "updated" | "unchanged";

/**
 * Brings one system job's QStash schedule to its definition, compared with
 * `held` (the ledger's row, or QStash's own when repairing drift): upsert
 * only when the cron, destination or body differ, so changing what a job
 * does, or saving it again, costs no QStash call.
 */
export async function syncJobSchedule({ ctx, job, held }: {
  ctx: ServiceContext;
  job: Pick<JobDefinition, "id" | "trigger">;
  held: HeldWithPause | null;
}): Promise<JobSync> {
  const desired = planJobSchedule(job, ctx.config.callbackUrl);
  const pauses = pauseTracker({ ctx });
  let sync: JobSync = "unchanged";
  if (
    !held || held.cron !== desired.cron ||
    held.destination !== desired.destination || held.body !== desired.body
  ) {
    await ctx.scheduler.upsertSchedule(desired);
    await pauses.afterUpsert(desired.id);
    sync = held ? "updated" : "created";
    ctx.log.info(`schedule.${sync}`, { job: job.id, schedule: desired.id });
  } else pauses.track(desired.id, held.paused);
  await pauses.settle();
  await recordJobHeld(
    ctx.db,
    desired,
    ctx.now(),
    pauses.pausedOf(desired.id) ?? false,
  );
  return sync;
}

export async function deleteJobSchedule({ ctx, jobId }: {
  ctx: ServiceContext;
  jobId: string;
}): Promise<void> {
  const id = jobScheduleId(jobId);
  await ctx.scheduler.deleteSchedule(id);
  await forgetHeld(ctx.db, id);
  ctx.log.info("schedule.deleted", { job: jobId, schedule: id });
}
