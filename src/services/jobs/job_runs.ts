import type { AppDeps } from "../../deps.ts";
import {
  getRun,
  recentRuns,
  runFailures,
} from "../../store/jobs/job_run_store.ts";
import { runView } from "./run_job.ts";
import { getJobView } from "./system_jobs.ts";

type Deps = Pick<
  AppDeps,
  "db" | "scheduler" | "log" | "now" | "config" | "catalogue"
>;

/** How many runs a job's page lists, newest first. */
const RECENT_RUNS = 20;
/** How many failed users a run's failure list shows. */
const FAILURES_SHOWN = 500;

/** A job with its latest runs, or null when there is no such job. */
export async function jobWithRuns(deps: Deps, jobId: string) {
  const job = await getJobView(deps, jobId);
  if (!job) return null;
  const runs = await recentRuns(deps.db, jobId, RECENT_RUNS);
  return { job, runs: runs.map((run) => runView(run)) };
}

/** One run of a job, or null when the job has no such run. */
export async function runOfJob(deps: Deps, jobId: string, runId: string) {
  const run = await getRun(deps.db, runId);
  return run && run.jobId === jobId ? runView(run) : null;
}

/** The users a run failed for: attempts and the last error. */
export function failuresOfRun(deps: Deps, runId: string) {
  return runFailures(deps.db, runId, FAILURES_SHOWN);
}
