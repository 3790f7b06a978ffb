import type { ServiceContext } from "../../context.ts";
import {
  type JobDefinition,
  type JobPut,
  parseStoredJob,
} from "../../domain/jobs/job_definition.ts";
import { jobScheduleId } from "../../domain/jobs/job_schedule.ts";
import { triggerCron, triggerZone } from "../../domain/jobs/job_trigger.ts";
import { nextRunAt } from "../../domain/jobs/next_run.ts";
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
export async function putJob({ ctx, job }: {
  ctx: ServiceContext;
  job: JobDefinition;
}): Promise<{ job: JobView; created: boolean }> {
  if ("builtin" in job.target && job.target.builtin === "fanout") {
    await mustBeInCatalogue(ctx, job.target.type);
  }
  const { created } = await saveJob(ctx.db, {
    id: job.id,
    name: job.name,
    trigger: JSON.stringify(job.trigger),
    target: JSON.stringify(job.target),
    runAtStartup: job.runAtStartup,
  }, ctx.now());
  ctx.log.info("job.saved", { job: job.id, created });
  await syncSaved(ctx, job.id);
  const view = await getJobView({ ctx, id: job.id });
  if (!view) throw new AppError("not_found", `No job "${job.id}"`);
  return { job: view, created };
}

/** A fan-out sends one of the catalogue's types (its audience has it on). */
async function mustBeInCatalogue(
  ctx: ServiceContext,
  type: string,
): Promise<void> {
  if ((await ctx.catalogue()).get(type)) return;
  if ((await ctx.catalogue("latest")).get(type)) return;
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
async function syncSaved(ctx: ServiceContext, id: string): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const row = await getJob(ctx.db, id);
    if (!row) return;
    const held = (await jobLedger(ctx.db))
      .find((r) => r.id === jobScheduleId(id)) ?? null;
    try {
      await syncJobSchedule({ ctx, job: parseStoredJob(row), held });
    } catch (error) {
      if (!(error instanceof SchedulerError)) throw error;
      ctx.log.warn("job.pending", { job: id, status: error.status ?? null });
      return;
    }
    if ((await getJob(ctx.db, id))?.trigger === row.trigger) {
      await markJobSynced(ctx.db, id, row.trigger);
      return;
    }
  }
}

/** Retries jobs whose schedule QStash has not confirmed (cron sweep). */
export async function syncPendingJobs({
  ctx,
}: { ctx: ServiceContext }): Promise<void> {
  for (const row of await pendingJobs(ctx.db)) await syncSaved(ctx, row.id);
}

export async function removeJob({ ctx, id }: {
  ctx: ServiceContext;
  id: string;
}): Promise<void> {
  if (!(await getJob(ctx.db, id))) {
    throw new AppError("not_found", `No job "${id}"`);
  }
  // The schedule first: a job row without a schedule is harmless, a
  // schedule without its job would fire into nothing until a restart.
  await deleteJobSchedule({ ctx, jobId: id });
  await deleteJob(ctx.db, id);
  ctx.log.info("job.deleted", { job: id });
}

export async function listJobViews(
  { ctx }: { ctx: ServiceContext },
): Promise<JobView[]> {
  const [rows, ledger] = await Promise.all([
    listJobs(ctx.db),
    jobLedger(ctx.db),
  ]);
  const held = new Map(ledger.map((row) => [row.id, row]));
  return await Promise.all(rows.map((row) => viewOf(ctx, row, held)));
}

export async function getJobView({ ctx, id }: {
  ctx: ServiceContext;
  id: string;
}): Promise<JobView | null> {
  const row = await getJob(ctx.db, id);
  if (!row) return null;
  const held = new Map((await jobLedger(ctx.db)).map((r) => [r.id, r]));
  return await viewOf(ctx, row, held);
}

async function viewOf(
  ctx: ServiceContext,
  row: JobRow,
  held: ReadonlyMap<string, { paused: boolean }>,
): Promise<JobView> {
  const job = parseStoredJob(row);
  const cron = triggerCron(job.trigger);
  const scheduleId = jobScheduleId(job.id);
  const paused = held.get(scheduleId)?.paused ?? false;
  const next = cron.ok && !paused ? nextRunAt(cron.cron, ctx.now()) : null;
  const [last] = await recentRuns(ctx.db, job.id, 1);
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
