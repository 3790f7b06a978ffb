import { z } from "zod";

/** Response shapes of the scheduler and job routes, parsed (not cast). */
export const operationView = z.object({
  id: z.string(),
  kind: z.enum(["restart", "stop", "start", "retype"]),
  status: z.enum(["running", "done", "failed", "superseded"]),
  phase: z.string(),
  resumed: z.boolean(),
  continuing: z.boolean(),
  progress: z.object({
    pages: z.number(),
    users: z.number(),
    created: z.number(),
    updated: z.number(),
    deleted: z.number(),
    unchanged: z.number(),
    paused: z.number(),
    resumed: z.number(),
    ledgerFixed: z.number(),
  }),
  error: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});
export const operationBody = z.object({ operation: operationView });
export type OperationView = z.infer<typeof operationView>;

const trigger = z.union([
  z.object({ type: z.literal("interval"), every: z.string() }),
  z.object({
    type: z.literal("cron"),
    cron: z.string(),
    timezone: z.string(),
  }),
]);

export const statusBody = z.object({
  running: z.boolean(),
  activeJobs: z.number(),
  jobIds: z.array(z.string()),
  jobs: z.array(z.object({
    id: z.string(),
    kind: z.enum(["user", "system", "slot"]),
    userId: z.string().optional(),
    slot: z.string().optional(),
    type: z.string().optional(),
    localTime: z.string().optional(),
    jobId: z.string().optional(),
    name: z.string().optional(),
    trigger,
    timezone: z.string(),
    nextRun: z.string().nullable(),
    paused: z.boolean(),
  })),
  nextCursor: z.string().nullable(),
  defaultTimezone: z.string(),
  operation: operationView.nullable(),
  slotFailures: z.object({
    lastDay: z.number(),
    latest: z.object({
      slot: z.string(),
      firedAt: z.string(),
      at: z.string(),
      error: z.string(),
    }).nullable(),
  }),
  checkedAt: z.string(),
});

export const runView = z.object({
  runId: z.string(),
  jobId: z.string(),
  trigger: z.enum(["schedule", "manual", "startup"]),
  status: z.enum(["running", "succeeded", "failed"]),
  attempts: z.number(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  result: z.unknown(),
  error: z.string().nullable(),
  progress: z.object({
    pages: z.number(),
    lastPage: z.number().nullable(),
    published: z.number(),
    delivered: z.number(),
    failed: z.number(),
  }).nullable(),
  duplicate: z.boolean(),
});
export type RunView = z.infer<typeof runView>;

export const jobView = z.object({
  id: z.string(),
  name: z.string(),
  trigger,
  target: z.record(z.string(), z.unknown()),
  runAtStartup: z.boolean(),
  scheduleId: z.string(),
  cron: z.string(),
  timezone: z.string(),
  nextRun: z.string().nullable(),
  paused: z.boolean(),
  sync: z.enum(["synced", "pending"]),
  lastRun: runView.nullable(),
});

export const driftBody = z.object({
  running: z.boolean(),
  summary: z.object({
    ok: z.number(),
    missing: z.number(),
    unexpected: z.number(),
    different: z.number(),
  }),
  schedules: z.array(z.object({
    id: z.string(),
    state: z.enum(["missing", "unexpected", "different", "ok"]),
    fields: z.array(z.string()).optional(),
    userId: z.string().optional(),
    jobId: z.string().optional(),
  })),
  truncated: z.boolean(),
});
