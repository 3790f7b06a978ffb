import type { ServiceContext } from "../../context.ts";
import {
  getRun,
  recentRuns,
  runFailures,
} from "../../store/jobs/job_run_store.ts";
import { runView } from "./run_job.ts";
import { getJobView } from "./system_jobs.ts";

/** How many runs a job's page lists, newest first. */
const RECENT_RUNS = 20;
/** How many failed users a run's failure list shows. */
const FAILURES_SHOWN = 500;

/** A job with its latest runs, or null when there is no such job. */
export async function jobWithRuns({ ctx, jobId }: {
  ctx: ServiceContext;
  jobId: string;
}) {
  const job = await getJobView({ ctx, id: jobId });
  if (!job) return null;
  const runs = await recentRuns(ctx.db, jobId, RECENT_RUNS);
  return { job, runs: runs.map((run) => runView(run)) };
}

/** One run of a job, or null when the job has no such run. */
export async function runOfJob({ ctx, jobId, runId }: {
  ctx: ServiceContext;
  jobId: string;
  runId: string;
}) {
  const run = await getRun(ctx.db, runId);
  return run && run.jobId === jobId ? runView(run) : null;
}

/** The users a run failed for: attempts and the last error. */
export function failuresOfRun({ ctx, runId }: {
  ctx: ServiceContext;
  runId: string;
}) {
  return runFailures(ctx.db, runId, FAILURES_SHOWN);
}
