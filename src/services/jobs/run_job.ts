import type { ServiceContext } from "../../context.ts";
import {
  type JobDefinition,
  parseStoredJob,
} from "../../domain/jobs/job_definition.ts";
import { triggerZone } from "../../domain/jobs/job_trigger.ts";
import {
  claimRun,
  finishRun,
  getRun,
  handOverRun,
  type JobRun,
  type RunTrigger,
} from "../../store/jobs/job_run_store.ts";
import { getJob } from "../../store/jobs/job_store.ts";
import { WebhookError } from "../../ports/webhook_client.ts";
import { runCleanup } from "./cleanup_job.ts";
import { publishBroadcastPage } from "./broadcast_job.ts";
import { runStats } from "./stats_job.ts";
import { emitEvent } from "../webhooks/emit_event.ts";

/** A run whose holder vanished may be taken over after this. */
const RUN_LEASE_MS = 5 * 60_000;
/** Stored webhook results are cut to this many characters of JSON. */
const MAX_RESULT_CHARS = 16_000;

export interface JobRunView {
  runId: string;
  jobId: string;
  trigger: RunTrigger;
  status: JobRun["status"];
  attempts: number;
  startedAt: string;
  finishedAt: string | null;
  /** What the run did: the built-in's counts or the webhook's JSON reply. */
  result: unknown;
  error: string | null;
  /** Fan-out progress (pages and users), as far as it got. */
  progress: {
    pages: number;
    lastPage: number | null;
    published: number;
    delivered: number;
    failed: number;
  } | null;
  /** True when this run had already started: nothing ran again. */
  duplicate: boolean;
}

export function runView(run: JobRun, duplicate = false): JobRunView {
  const fanout = run.pages > 0 || run.published > 0 || run.lastPage !== null;
  return {
    runId: run.id,
    jobId: run.jobId,
    trigger: run.trigger,
    status: run.status,
    attempts: run.attempts,
    startedAt: new Date(run.startedAt).toISOString(),
    finishedAt: run.finishedAt === null
      ? null
      : new Date(run.finishedAt).toISOString(),
    result: run.result === null ? null : JSON.parse(run.result),
    error: run.error,
    progress: fanout
      ? {
        pages: run.pages,
        lastPage: run.lastPage,
        published: run.published,
        delivered: run.delivered,
        failed: run.failed,
      }
      : null,
    duplicate,
  };
}

export function newRunId(now: number): string {
  return `run_${now.toString(36)}${crypto.randomUUID().slice(0, 8)}`;
}

/**
 * Runs the stored job `jobId` once (see `runJob`), or answers null when
 * there is no such job: a manual run and a scheduled one take this path.
 */
export async function runJobById({ ctx, jobId, runId, trigger }: {
  ctx: ServiceContext;
  jobId: string;
  runId: string;
  trigger: RunTrigger;
}): Promise<JobRunView | null> {
  const row = await getJob(ctx.db, jobId);
  return row
    ? await runJob({ ctx, job: parseStoredJob(row), runId, trigger })
    : null;
}

/**
 * Runs a job once under `runId`: a run started by a QStash message is named
 * after that message, so a redelivery finds the run and does nothing (a
 * failed run is taken over and tried again). A fan-out publishes its first
 * page here and hands the rest to its page messages.
 */
export async function runJob({ ctx, job, runId, trigger }: {
  ctx: ServiceContext;
  job: JobDefinition;
  runId: string;
  trigger: RunTrigger;
}): Promise<JobRunView> {
  const claimed = await claimRun(
    ctx.db,
    { id: runId, jobId: job.id, trigger },
    ctx.now(),
    RUN_LEASE_MS,
  );
  if (!claimed) {
    const existing = await getRun(ctx.db, runId);
    ctx.log.info("job.duplicate", { job: job.id, run: runId });
    if (!existing) throw new Error(`Run "${runId}" vanished`);
    return runView(existing, true);
  }
  const started = performance.now();
  const target = job.target;
  try {
    if ("builtin" in target && target.builtin === "fanout") {
      const run = await publishBroadcastPage({
        ctx,
        target,
        ref: {
          jobId: job.id,
          runId,
          page: 0,
          after: null,
        },
      });
      await handOverRun(ctx.db, runId);
      logRun(ctx, {
        job,
        runId,
        status: run?.status ?? "running",
        started,
      });
      return runView(run ?? claimed);
    }
    const result = "webhook" in target
      ? capped(
        await ctx.webhooks.post(target.webhook, {
          jobId: job.id,
          runId,
          trigger,
          at: new Date(ctx.now()).toISOString(),
        }, target.timeoutMs),
      )
      : target.builtin === "cleanup"
      ? await runCleanup({ ctx, retentionDays: target.retentionDays })
      : await runStats({
        ctx,
        which: target.day,
        timezone: triggerZone(job.trigger),
      });
    const run = await finishRun(
      ctx.db,
      runId,
      { status: "succeeded", result },
      ctx.now(),
    );
    logRun(ctx, { job, runId, status: "succeeded", started });
    await emitEvent({
      ctx,
      event: {
        type: "job.run.completed",
        data: { jobId: job.id, runId, trigger },
      },
    });
    return runView(run ?? claimed);
  } catch (error) {
    // Safe text only: a driver's message may carry URLs or credentials.
    const reason = error instanceof WebhookError
      ? `webhook ${error.message}`
      : error instanceof Error
      ? error.name
      : "unknown error";
    const run = await finishRun(
      ctx.db,
      runId,
      { status: "failed", error: reason },
      ctx.now(),
    );
    logRun(ctx, { job, runId, status: "failed", started, reason });
    await emitEvent({
      ctx,
      event: {
        type: "job.run.failed",
        data: { jobId: job.id, runId, trigger, error: reason },
      },
    });
    return runView(run ?? claimed);
  }
}

/** One line per run: a failed run is a warning and says why. */
function logRun(
  ctx: Pick<ServiceContext, "log">,
  { job, runId, status, started, reason }: {
    job: JobDefinition;
    runId: string;
    status: string;
    /** performance.now() when the run began. */
    started: number;
    reason?: string;
  },
) {
  ctx.log.log(status === "failed" ? "warn" : "info", "job.run", {
    job: job.id,
    run: runId,
    status,
    ms: Math.round(performance.now() - started),
    ...(reason === undefined ? {} : { reason }),
  });
}

function capped(result: unknown): unknown {
  const text = JSON.stringify(result ?? null);
  return text.length <= MAX_RESULT_CHARS
    ? result
    : { truncated: true, preview: text.slice(0, MAX_RESULT_CHARS) };
}
