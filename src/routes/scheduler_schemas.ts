import { z } from "@hono/zod-openapi";
import { reconcileOutcome } from "./preferences.ts";

/**
 * Response shapes of the scheduler-control and system-job routes, as the
 * OpenAPI document (and the SDK's types) show them.
 */
const instant = z.string().openapi({ format: "date-time" });

export const trigger = z.discriminatedUnion("type", [
  z.object({ type: z.literal("interval"), every: z.string() }),
  z.object({ type: z.literal("cron"), cron: z.string(), timezone: z.string() }),
]).openapi("JobTrigger");

export const operationView = z.object({
  id: z.string(),
  kind: z.enum(["restart", "stop", "start", "retype"]).openapi({
    description: "`retype`: the users a catalogue change moves, walked " +
      "after a type was created, changed or deleted.",
  }),
  status: z.enum(["running", "done", "failed", "superseded"]),
  phase: z.string(),
  resumed: z.boolean().openapi({
    description: "This call picked up an earlier, unfinished operation.",
  }),
  continuing: z.boolean().openapi({
    description: "The rest continues in the background, through QStash.",
  }),
  progress: z.object({
    pages: z.number().int(),
    users: z.number().int(),
    created: z.number().int(),
    updated: z.number().int(),
    deleted: z.number().int(),
    unchanged: z.number().int(),
    paused: z.number().int(),
    resumed: z.number().int(),
    ledgerFixed: z.number().int(),
  }),
  error: z.string().nullable(),
  startedAt: instant,
  finishedAt: instant.nullable(),
}).openapi("SchedulerOperation");

export const operationBody = z.object({ operation: operationView });

/** How a request paces the operation it starts. */
export const operationQuery = z.strictObject({
  pageSize: z.coerce.number().int().min(1).max(1000).optional().openapi({
    description: "Users (restart, retype) or schedules (stop, start) per " +
      "page; 500 unless given.",
  }),
  pagesPerCall: z.coerce.number().int().min(1).max(1_000_000).optional()
    .openapi({
      description: "Pages this request does before continuing through QStash.",
    }),
});

export function paceOf(
  q: z.output<typeof operationQuery>,
): { pageSize?: number; maxPages?: number } {
  return {
    ...(q.pageSize === undefined ? {} : { pageSize: q.pageSize }),
    ...(q.pagesPerCall === undefined ? {} : { maxPages: q.pagesPerCall }),
  };
}

export const schedulerStatus = z.object({
  running: z.boolean(),
  activeJobs: z.number().int().openapi({
    description: "Schedules the ledger says are live (not paused) in QStash.",
  }),
  jobIds: z.array(z.string()).openapi({ description: "The ids on this page." }),
  jobs: z.array(z.object({
    id: z.string(),
    kind: z.enum(["user", "system", "slot"]).openapi({
      description: "A user's type and time (a per-user schedule, or a slot " +
        "member), a system job, or a shared slot's own schedule.",
    }),
    userId: z.string().optional(),
    slot: z.string().optional().openapi({
      description: "Shared slots: the UTC minute (HHMM) of a slot, or of " +
        "the slot a member is in.",
    }),
    type: z.string().optional(),
    localTime: z.string().optional(),
    jobId: z.string().optional(),
    name: z.string().optional(),
    trigger,
    timezone: z.string(),
    nextRun: instant.nullable(),
    paused: z.boolean(),
  })),
  nextCursor: z.string().nullable(),
  defaultTimezone: z.string(),
  operation: operationView.nullable().openapi({
    description: "A restart, stop or start that has not finished.",
  }),
  slotFailures: z.object({
    lastDay: z.number().int().openapi({
      description: "Members shared-slot firings could not serve in the " +
        "last day (Herald's clock). Kept for 7 days (the `cleanup` job).",
    }),
    latest: z.object({
      slot: z.string().openapi({ description: "The UTC minute (HHMM)." }),
      firedAt: instant,
      at: instant,
      error: z.string().openapi({
        description: "Herald's own words: an error's name, never its message.",
      }),
    }).nullable().openapi({ description: "The latest of them." }),
  }),
  checkedAt: instant,
}).openapi("SchedulerStatus");

const driftEntry = z.object({
  id: z.string(),
  state: z.enum(["ok", "missing", "unexpected", "different"]),
  fields: z.array(z.string()).optional().openapi({
    description: "What differs, for `different`.",
  }),
});

export const driftReport = z.object({
  scope: z.union([z.object({ userId: z.string() }), z.literal("all")]),
  running: z.boolean(),
  summary: z.object({
    ok: z.number().int(),
    missing: z.number().int(),
    unexpected: z.number().int(),
    different: z.number().int(),
  }),
  schedules: z.array(driftEntry.extend({
    userId: z.string().optional(),
    jobId: z.string().optional(),
  })).openapi({
    description: "Every schedule for one user; only the drifted ones for " +
      "everybody.",
  }),
  truncated: z.boolean(),
  checkedAt: instant,
}).openapi("DriftReport");

export const forcedReconcile = z.object({
  userId: z.string(),
  drift: z.array(driftEntry).openapi({
    description: "How QStash compared with the plan before the repair.",
  }),
  reconcile: reconcileOutcome,
  slots: z.array(z.string()).openapi({
    description: "Slot schedules the repair made again or deleted.",
  }),
}).openapi("ForcedReconcile");

const partHealth = z.object({
  ok: z.boolean(),
  latencyMs: z.number(),
  configured: z.boolean(),
  error: z.string().optional(),
});

export const health = z.object({
  status: z.enum(["ok", "degraded", "down"]),
  checks: z.object({
    libsql: partHealth,
    qstash: partHealth,
    redis: partHealth,
  }),
  push: z.enum(["on", "off"]).openapi({
    description: "Web Push: `on` when VAPID keys are configured.",
  }),
  checkedAt: instant,
}).openapi("Health");

export const dailyStats = z.object({
  days: z.array(z.object({
    day: z.string().openapi({ example: "2026-03-29" }),
    type: z.string(),
    sent: z.number().int(),
    read: z.number().int(),
  })),
}).openapi("DailyStats");

export const jobRun = z.object({
  runId: z.string(),
  jobId: z.string(),
  trigger: z.enum(["schedule", "manual", "startup"]),
  status: z.enum(["running", "succeeded", "failed"]),
  attempts: z.number().int(),
  startedAt: instant,
  finishedAt: instant.nullable(),
  result: z.unknown().openapi({
    description: "What the run did: the built-in's counts or the " +
      "webhook's JSON reply.",
  }),
  error: z.string().nullable(),
  progress: z.object({
    pages: z.number().int(),
    lastPage: z.number().int().nullable(),
    published: z.number().int(),
    delivered: z.number().int(),
    failed: z.number().int(),
  }).nullable(),
  duplicate: z.boolean().openapi({
    description: "This run had already started: nothing ran again.",
  }),
}).openapi("JobRun");

export const jobView = z.object({
  id: z.string(),
  name: z.string(),
  trigger,
  target: z.record(z.string(), z.unknown()).openapi({
    description: 'The saved target: `{"builtin": …}` or `{"webhook": …}`.',
  }),
  runAtStartup: z.boolean(),
  scheduleId: z.string(),
  cron: z.string().openapi({ description: "The QStash cron of the trigger." }),
  timezone: z.string(),
  nextRun: instant.nullable(),
  paused: z.boolean(),
  sync: z.enum(["synced", "pending"]).openapi({
    description: "`pending` until QStash confirmed the latest trigger.",
  }),
  lastRun: jobRun.nullable(),
}).openapi("Job");
