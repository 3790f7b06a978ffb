import type { HeldWithPause } from "../../domain/schedules/drift.ts";
import type { JobDefinition } from "../../domain/jobs/job_definition.ts";
import {
  jobScheduleId,
  planJobSchedule,
} from "../../domain/jobs/job_schedule.ts";
import type { AppDeps } from "../../deps.ts";
import {
  forgetHeld,
  recordJobHeld,
} from "../../store/schedules/schedule_ledger.ts";
import { pauseTracker } from "../schedules/pause_tracker.ts";

type Deps = Pick<AppDeps, "db" | "scheduler" | "log" | "now" | "config">;

type JobSync = "created" | "updated" | "unchanged";

/**
 * Brings one system job's QStash schedule to its definition, compared with
 * `held` (the ledger's row, or QStash's own when repairing drift): upsert
 * only when the cron, destination or body differ, so changing what a job
 * does, or saving it again, costs no QStash call.
 */
export async function syncJobSchedule(
  deps: Deps,
  job: Pick<JobDefinition, "id" | "trigger">,
  held: HeldWithPause | null,
): Promise<JobSync> {
  const desired = planJobSchedule(job, deps.config.callbackUrl);
  const pauses = pauseTracker(deps);
  let sync: JobSync = "unchanged";
  if (
    !held || held.cron !== desired.cron ||
    held.destination !== desired.destination || held.body !== desired.body
  ) {
    await deps.scheduler.upsertSchedule(desired);
    await pauses.afterUpsert(desired.id);
    sync = held ? "updated" : "created";
    deps.log.info(`schedule.${sync}`, { job: job.id, schedule: desired.id });
  } else pauses.track(desired.id, held.paused);
  await pauses.settle();
  await recordJobHeld(
    deps.db,
    desired,
    deps.now(),
    pauses.pausedOf(desired.id) ?? false,
  );
  return sync;
}

export async function deleteJobSchedule(
  deps: Pick<AppDeps, "db" | "scheduler" | "log">,
  jobId: string,
): Promise<void> {
  const id = jobScheduleId(jobId);
  await deps.scheduler.deleteSchedule(id);
  await forgetHeld(deps.db, id);
  deps.log.info("schedule.deleted", { job: jobId, schedule: id });
}
