import {
  type JobDefinition,
  type JobPut,
  parseStoredJob,
} from "../../domain/jobs/job_definition.ts";
import { jobScheduleId } from "../../domain/jobs/job_schedule.ts";
import { triggerCron, triggerZone } from "../../domain/jobs/job_trigger.ts";
import { nextRunAt } from "../../domain/jobs/next_run.ts";
import type { AppDeps } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import {
  deleteJob,
  getJob,
  type JobRow,
  listJobs,
  markJobSynced,
  pendingJobs,
  saveJob,
} from "../../store/jobs/job_store.ts";
import { recentRuns } from "../../store/jobs/job_run_store.ts";
import { jobLedger } from "../../store/schedules/schedule_ledger.ts";
import { SchedulerError } from "../../ports/scheduler.ts";
import { deleteJobSchedule, syncJobSchedule } from "./job_schedule_sync.ts";
import { type JobRunView, runView } from "./run_job.ts";

type Deps = Pick<
  AppDeps,
  "db" | "scheduler" | "log" | "now" | "config" | "catalogue"
>;

export interface JobView extends JobDefinition {
  scheduleId: string;
  /** The QStash cron the trigger became. */
  cron: string;
  timezone: string;
  nextRun: string | null;
  paused: boolean;
  /** "pending" when QStash has not confirmed the latest trigger yet. */
  sync: "synced" | "pending";
  lastRun: JobRunView | null;
}

/**
 * Validates a definition beyond its shape: the interval must be one cron
 * can repeat exactly, the expression one QStash reads. Refusals name the
 * field, like every 400.
 */
export function settleDefinition(
  id: string,
  input: JobPut,
  defaultTimezone: string,
): JobDefinition {
  const trigger = input.trigger.type === "cron"
    ? { ...input.trigger, timezone: input.trigger.timezone ?? defaultTimezone }
    : input.trigger;
  const cron = triggerCron(trigger);
  if (!cron.ok) {
    const path = `trigger.${cron.field}`;
    throw new AppError("validation_failed", `"${path}": ${cron.message}`, {
      fields: [{ path, message: cron.message }],
    });
  }
  return {
    id,
    name: input.name,
    trigger,
    target: input.target,
    runAtStartup: input.runAtStartup,
  };
}

/**
 * `PUT /v1/scheduler/jobs/:id`: saves the definition, then brings its
 * QStash schedule in line at once (only if the timing changed). If QStash
 * is down the job stays pending and the maintenance sweep retries it.
 */
export async function putJob(
  deps: Deps,
  job: JobDefinition,
): Promise<{ job: JobView; created: boolean }> {
  if ("builtin" in job.target && job.target.builtin === "fanout") {
    await mustBeInCatalogue(deps, job.target.type);
  }
  const { created } = await saveJob(deps.db, {
    id: job.id,
    name: job.name,
    trigger: JSON.stringify(job.trigger),
    target: JSON.stringify(job.target),
    runAtStartup: job.runAtStartup,
  }, deps.now());
  deps.log.info("job.saved", { job: job.id, created });
  await syncSaved(deps, job.id);
  const view = await getJobView(deps, job.id);
  if (!view) throw new AppError("not_found", `No job "${job.id}"`);
  return { job: view, created };
}

/** A fan-out sends one of the catalogue's types (its audience has it on). */
async function mustBeInCatalogue(deps: Deps, type: string): Promise<void> {
  if ((await deps.catalogue()).get(type)) return;
  if ((await deps.catalogue("latest")).get(type)) return;
  const message = `No type "${type}" in the catalogue (see /v1/types)`;
  throw new AppError("validation_failed", `"target.type": ${message}`, {
    fields: [{ path: "target.type", message }],
  });
}

/**
 * Syncs the job's stored trigger, then reads it again: if another save
 * changed it meanwhile, goes round, so the last save always reaches QStash
 * last and "synced" is only ever set for the trigger QStash holds.
 */
async function syncSaved(deps: Deps, id: string): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const row = await getJob(deps.db, id);
    if (!row) return;
    const held = (await jobLedger(deps.db))
      .find((r) => r.id === jobScheduleId(id)) ?? null;
    try {
      await syncJobSchedule(deps, parseStoredJob(row), held);
    } catch (error) {
      if (!(error instanceof SchedulerError)) throw error;
      deps.log.warn("job.pending", { job: id, status: error.status ?? null });
      return;
    }
    if ((await getJob(deps.db, id))?.trigger === row.trigger) {
      await markJobSynced(deps.db, id, row.trigger);
      return;
    }
  }
}

/** Retries jobs whose schedule QStash has not confirmed (cron sweep). */
export async function syncPendingJobs(deps: Deps): Promise<void> {
  for (const row of await pendingJobs(deps.db)) await syncSaved(deps, row.id);
}

export async function removeJob(deps: Deps, id: string): Promise<void> {
  if (!(await getJob(deps.db, id))) {
    throw new AppError("not_found", `No job "${id}"`);
  }
  // The schedule first: a job row without a schedule is harmless, a
  // schedule without its job would fire into nothing until a restart.
  await deleteJobSchedule(deps, id);
  await deleteJob(deps.db, id);
  deps.log.info("job.deleted", { job: id });
}

export async function listJobViews(deps: Deps): Promise<JobView[]> {
  const [rows, ledger] = await Promise.all([
    listJobs(deps.db),
    jobLedger(deps.db),
  ]);
  const held = new Map(ledger.map((row) => [row.id, row]));
  return await Promise.all(rows.map((row) => viewOf(deps, row, held)));
}

export async function getJobView(
  deps: Deps,
  id: string,
): Promise<JobView | null> {
  const row = await getJob(deps.db, id);
  if (!row) return null;
  const held = new Map((await jobLedger(deps.db)).map((r) => [r.id, r]));
  return await viewOf(deps, row, held);
}

async function viewOf(
  deps: Deps,
  row: JobRow,
  held: ReadonlyMap<string, { paused: boolean }>,
): Promise<JobView> {
  const job = parseStoredJob(row);
  const cron = triggerCron(job.trigger);
  const scheduleId = jobScheduleId(job.id);
  const paused = held.get(scheduleId)?.paused ?? false;
  const next = cron.ok && !paused ? nextRunAt(cron.cron, deps.now()) : null;
  const [last] = await recentRuns(deps.db, job.id, 1);
  return {
    ...job,
    scheduleId,
    cron: cron.ok ? cron.cron : "",
    timezone: triggerZone(job.trigger),
    nextRun: next === null ? null : new Date(next).toISOString(),
    paused,
    sync: row.syncStatus,
    lastRun: last ? runView(last) : null,
  };
}
