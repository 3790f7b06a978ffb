import { jobRunBody } from "../../domain/jobs/job_schedule.ts";
import type { AppDeps } from "../../deps.ts";
import { listJobs } from "../../store/jobs/job_store.ts";
import { claimStartup } from "../../store/jobs/startup_marks.ts";

type Deps = Pick<AppDeps, "db" | "scheduler" | "log" | "now" | "config">;

/**
 * Jobs marked `runAtStartup` run once per start of the stack. Deno has a
 * start (the process); Workers have none, so a deployment counts as one:
 * the first request or cron tick of a new Worker version (its version id)
 * claims the marker row, and only that claimant queues the runs. The runs
 * themselves go through QStash like any firing (a `job-run` message with a
 * deduplication id per marker and job), so the claiming request stays
 * short and a run that fails is retried by QStash.
 */
export async function runStartupJobs(
  deps: Deps,
  marker: string,
): Promise<number> {
  if (!(await claimStartup(deps.db, marker, deps.now()))) return 0;
  const jobs = (await listJobs(deps.db)).filter((j) => j.runAtStartup);
  for (const job of jobs) {
    await deps.scheduler.publishMessage({
      destination: deps.config.callbackUrl,
      body: jobRunBody(job.id, "startup"),
      deduplicationId: `herald-start-${marker}-${job.id}`,
    });
  }
  deps.log.info("startup.jobs", { marker, queued: jobs.length });
  return jobs.length;
}
