import type { ServiceContext } from "../../context.ts";
import { jobRunBody } from "../../domain/jobs/job_schedule.ts";
import { listJobs } from "../../store/jobs/job_store.ts";
import { claimStartup } from "../../store/jobs/startup_marks.ts";

/**
 * Jobs marked `runAtStartup` run once per start of the stack. Deno has a
 * start (the process); Workers have none, so a deployment counts as one:
 * the first request or cron tick of a new Worker version (its version id)
 * claims the marker row, and only that claimant queues the runs. The runs
 * themselves go through QStash like any firing (a `job-run` message with a
 * deduplication id per marker and job), so the claiming request stays
 * short and a run that fails is retried by QStash.
 */
export async function runStartupJobs({ ctx, marker }: {
  ctx: ServiceContext;
  marker: string;
}): Promise<number> {
  if (!(await claimStartup(ctx.db, marker, ctx.now()))) return 0;
  const jobs = (await listJobs(ctx.db)).filter((j) => j.runAtStartup);
  for (const job of jobs) {
    await ctx.scheduler.publishMessage({
      destination: ctx.config.callbackUrl,
      body: jobRunBody(job.id, "startup"),
      deduplicationId: `herald-start-${marker}-${job.id}`,
    });
  }
  ctx.log.info("startup.jobs", { marker, queued: jobs.length });
  return jobs.length;
}
