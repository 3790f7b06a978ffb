import { createRoute, z } from "@hono/zod-openapi";
import { JOB_ID_PATTERN, jobPutSchema } from "../domain/jobs/job_definition.ts";
import { AppError } from "../errors.ts";
import { authenticate, requireAdmin } from "../http/auth.ts";
import { jsonOnly } from "../http/json_body.ts";
import {
  adminOnly,
  errors,
  json,
  jsonRequest,
  openApiRoutes,
} from "../http/openapi.ts";
import { orUnavailable } from "../http/unavailable.ts";
import {
  failuresOfRun,
  jobWithRuns,
  runOfJob,
} from "../services/jobs/job_runs.ts";
import { newRunId, runJobById } from "../services/jobs/run_job.ts";
import {
  listJobViews,
  putJob,
  removeJob,
  settleDefinition,
} from "../services/jobs/system_jobs.ts";
import { jobRun, jobView } from "./scheduler_schemas.ts";

const jobId = z.string().regex(JOB_ID_PATTERN, {
  error:
    'Use 1–64 letters, digits, "-" or "_", starting with a letter or digit',
}).openapi({ param: { name: "id", in: "path" }, example: "daily-cleanup" });
const jobParams = z.object({ id: jobId });
const runParams = jobParams.extend({
  runId: z.string().openapi({ param: { name: "runId", in: "path" } }),
});

const tags = ["System jobs"];
const admin = {
  tags,
  security: adminOnly,
  middleware: [authenticate, requireAdmin],
};
const job = "/v1/scheduler/jobs/{id}";

const list = createRoute({
  method: "get",
  operationId: "listJobs",
  path: "/v1/scheduler/jobs",
  summary: "List system jobs",
  ...admin,
  responses: {
    200: json(z.object({ jobs: z.array(jobView) }), "Every job"),
    ...errors(401, 403),
  },
});

const read = createRoute({
  method: "get",
  operationId: "getJob",
  path: job,
  summary: "One job and its 20 latest runs",
  ...admin,
  request: { params: jobParams },
  responses: {
    200: json(
      z.object({ job: jobView, runs: z.array(jobRun) }),
      "The job and its runs",
    ),
    ...errors(400, 401, 403, 404),
  },
});

const put = createRoute({
  method: "put",
  operationId: "putJob",
  path: job,
  summary: "Define or change a job",
  description: "A job is a QStash schedule (`herald.j.<id>`), reconciled " +
    "the moment it is saved. Intervals must divide an hour or a day, or be " +
    '`1d` or `1w`. Targets: `{"builtin": "cleanup" | "stats" | "fanout", …}` ' +
    'or `{"webhook": "<url>", "timeoutMs"?}`.',
  ...admin,
  middleware: [authenticate, requireAdmin, jsonOnly],
  request: { params: jobParams, body: jsonRequest(jobPutSchema) },
  responses: {
    200: json(z.object({ job: jobView }), "Changed"),
    201: json(z.object({ job: jobView }), "Created"),
    ...errors(400, 401, 403, 413, 415),
  },
});

const remove = createRoute({
  method: "delete",
  operationId: "deleteJob",
  path: job,
  summary: "Delete a job and its schedule",
  ...admin,
  request: { params: jobParams },
  responses: {
    200: json(z.object({ deleted: z.string() }), "Deleted (or already gone)"),
    ...errors(400, 401, 403, 503),
  },
});

const trigger = createRoute({
  method: "post",
  operationId: "triggerJob",
  path: `${job}/trigger`,
  summary: "Run a job now",
  ...admin,
  request: { params: jobParams },
  responses: {
    200: json(z.object({ run: jobRun }), "The run, with what it did"),
    ...errors(400, 401, 403, 404),
  },
});

const run = createRoute({
  method: "get",
  operationId: "getJobRun",
  path: `${job}/runs/{runId}`,
  summary: "One run",
  ...admin,
  request: { params: runParams },
  responses: {
    200: json(z.object({ run: jobRun }), "The run"),
    ...errors(400, 401, 403, 404),
  },
});

const failures = createRoute({
  method: "get",
  operationId: "listJobRunFailures",
  path: `${job}/runs/{runId}/failures`,
  summary: "Users a fan-out run failed for",
  description: "At most 500.",
  ...admin,
  request: { params: runParams },
  responses: {
    200: json(
      z.object({
        failures: z.array(z.object({
          userId: z.string(),
          attempts: z.number().int(),
          error: z.string(),
        })),
      }),
      "Per user: attempts and the last error",
    ),
    ...errors(400, 401, 403),
  },
});

/**
 * System jobs (admin key): define, change at run time (QStash follows at
 * once), delete, run now, and read their runs.
 */
export const jobRoutes = openApiRoutes()
  .openapi(list, async (c) => {
    return c.json({ jobs: await listJobViews({ ctx: c.get("ctx") }) }, 200);
  })
  .openapi(read, async (c) => {
    const { id } = c.req.valid("param");
    const ctx = c.get("ctx");
    const found = await jobWithRuns({ ctx, jobId: id });
    if (!found) throw new AppError("not_found", `No job "${id}"`);
    return c.json(found, 200);
  })
  .openapi(put, async (c) => {
    const ctx = c.get("ctx");
    const definition = settleDefinition(
      c.req.valid("param").id,
      c.req.valid("json"),
      ctx.config.defaultTimezone,
    );
    const { job, created } = await putJob({ ctx, job: definition });
    return created ? c.json({ job }, 201) : c.json({ job }, 200);
  })
  .openapi(remove, async (c) => {
    const ctx = c.get("ctx");
    const { id } = c.req.valid("param");
    await orUnavailable(() => removeJob({ ctx, id }));
    return c.json({ deleted: id }, 200);
  })
  .openapi(trigger, async (c) => {
    const ctx = c.get("ctx");
    const { id } = c.req.valid("param");
    const run = await runJobById({
      ctx,
      jobId: id,
      runId: newRunId(ctx.now()),
      trigger: "manual",
    });
    if (!run) throw new AppError("not_found", `No job "${id}"`);
    return c.json({ run }, 200);
  })
  .openapi(run, async (c) => {
    const { id, runId } = c.req.valid("param");
    const run = await runOfJob({ ctx: c.get("ctx"), jobId: id, runId });
    if (!run) throw new AppError("not_found", "No such run");
    return c.json({ run }, 200);
  })
  .openapi(failures, async (c) => {
    const { runId } = c.req.valid("param");
    return c.json({
      failures: await failuresOfRun({ ctx: c.get("ctx"), runId }),
    }, 200);
  });
