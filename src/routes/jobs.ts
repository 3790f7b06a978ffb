import { Hono } from "hono";
import {
  JOB_ID_PATTERN,
  jobPutSchema,
  parseStoredJob,
} from "../domain/job_definition.ts";
import { AppError } from "../errors.ts";
import { authenticate, requireAdmin } from "../http/auth.ts";
import type { HonoEnv } from "../http/env.ts";
import { jsonBody } from "../http/json_body.ts";
import { orUnavailable } from "../http/unavailable.ts";
import { getJob } from "../ports/job_store.ts";
import { getRun, recentRuns, runFailures } from "../ports/job_run_store.ts";
import { newRunId, runJob, runView } from "../services/run_job.ts";
import {
  getJobView,
  listJobViews,
  putJob,
  removeJob,
  settleDefinition,
} from "../services/system_jobs.ts";

function jobId(raw: string): string {
  if (!JOB_ID_PATTERN.test(raw)) {
    const message =
      'Use 1–64 letters, digits, "-" or "_", starting with a letter or digit';
    throw new AppError("validation_failed", `"id": ${message}`, {
      fields: [{ path: "id", message }],
    });
  }
  return raw;
}

/**
 * System jobs (admin key): define, change at run time (QStash follows at
 * once), delete, run now, and read their runs.
 */
export const jobRoutes = new Hono<HonoEnv>()
  .use("/v1/scheduler/jobs", authenticate, requireAdmin)
  .use("/v1/scheduler/jobs/*", authenticate, requireAdmin)
  .get("/v1/scheduler/jobs", async (c) => {
    return c.json({ jobs: await listJobViews(c.get("deps")) });
  })
  .get("/v1/scheduler/jobs/:id", async (c) => {
    const id = jobId(c.req.param("id"));
    const deps = c.get("deps");
    const job = await getJobView(deps, id);
    if (!job) throw new AppError("not_found", `No job "${id}"`);
    const runs = await recentRuns(deps.db, id, 20);
    return c.json({ job, runs: runs.map((r) => runView(r)) });
  })
  .put(
    "/v1/scheduler/jobs/:id",
    jsonBody(jobPutSchema),
    async (c) => {
      const deps = c.get("deps");
      const definition = settleDefinition(
        jobId(c.req.param("id")),
        c.req.valid("json"),
        deps.config.defaultTimezone,
      );
      const { job, created } = await putJob(deps, definition);
      return c.json({ job }, created ? 201 : 200);
    },
  )
  .delete("/v1/scheduler/jobs/:id", async (c) => {
    const deps = c.get("deps");
    const id = jobId(c.req.param("id"));
    await orUnavailable(() => removeJob(deps, id));
    return c.json({ deleted: id });
  })
  .post("/v1/scheduler/jobs/:id/trigger", async (c) => {
    const deps = c.get("deps");
    const id = jobId(c.req.param("id"));
    const row = await getJob(deps.db, id);
    if (!row) throw new AppError("not_found", `No job "${id}"`);
    const run = await runJob(
      deps,
      parseStoredJob(row),
      newRunId(deps.now()),
      "manual",
    );
    return c.json({ run });
  })
  .get("/v1/scheduler/jobs/:id/runs/:runId", async (c) => {
    const deps = c.get("deps");
    const id = jobId(c.req.param("id"));
    const run = await getRun(deps.db, c.req.param("runId"));
    if (!run || run.jobId !== id) {
      throw new AppError("not_found", "No such run");
    }
    return c.json({ run: runView(run) });
  })
  .get("/v1/scheduler/jobs/:id/runs/:runId/failures", async (c) => {
    const deps = c.get("deps");
    jobId(c.req.param("id"));
    return c.json({
      failures: await runFailures(deps.db, c.req.param("runId"), 500),
    });
  });
