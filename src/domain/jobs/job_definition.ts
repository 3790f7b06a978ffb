import { z } from "zod";
import { canonicalTimeZone } from "../time/time_zone.ts";
import { SEVERITIES } from "../delivery/notification.ts";
import { typeIdSchema } from "../catalogue/notification_type.ts";

/**
 * An operator-defined system job: when it runs (trigger) and what it runs
 * (target: a built-in or the host app's webhook). Parsed from untrusted JSON
 * at the API and from the jobs table alike.
 */
export const JOB_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

const httpUrl = z.url({ protocol: /^https?$/, error: "Use an http(s) URL" });

const timezone = z.string().min(1).transform((name, ctx) => {
  const zone = canonicalTimeZone(name);
  if (zone === null) {
    ctx.addIssue({ code: "custom", message: `Unknown time zone "${name}"` });
    return z.NEVER;
  }
  return zone;
});

const jobTriggerSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("interval"),
    every: z.string().min(1).max(20),
  }),
  z.strictObject({
    type: z.literal("cron"),
    cron: z.string().min(1).max(200),
    /** Defaults to DEFAULT_TIMEZONE when saved. */
    timezone: timezone.optional(),
  }),
]);

const builtinTargetSchema = z.discriminatedUnion("builtin", [
  z.strictObject({
    builtin: z.literal("cleanup"),
    /** Notifications older than this are deleted with their reads. */
    retentionDays: z.number().int().min(1).max(3650).default(90),
  }),
  z.strictObject({
    builtin: z.literal("stats"),
    /** Which day (in the job's zone) to count. */
    day: z.enum(["yesterday", "today"]).default("yesterday"),
  }),
  z.strictObject({
    builtin: z.literal("fanout"),
    /** A catalogue type (checked when the job is saved). */
    type: typeIdSchema,
    /** Templates: {{userId}}, {{date}} (the run's day, UTC), {{jobId}}. */
    title: z.string().trim().min(1).max(200).default("Your daily update"),
    body: z.string().max(4000).default(""),
    severity: z.enum(SEVERITIES).default("medium"),
    /** Users read per page (one request each); ≤100 per batch call. */
    pageSize: z.number().int().min(1).max(1000).default(500),
    /** Per-user messages QStash delivers at once (flow control). */
    parallelism: z.number().int().min(1).max(1000).default(20),
    /** The host app's per-user generation webhook (optional). */
    webhook: httpUrl.optional(),
  }),
]);

const webhookTargetSchema = z.strictObject({
  webhook: httpUrl,
  timeoutMs: z.number().int().min(100).max(30_000).default(10_000),
});

/**
 * `{"builtin": …}` or `{"webhook": …}`: the key present picks the schema, so
 * an error names the offending field rather than "no union member matched".
 */
const jobTargetSchema = z.unknown().transform((value, ctx) => {
  const schema = typeof value === "object" && value !== null &&
      "webhook" in value && !("builtin" in value)
    ? webhookTargetSchema
    : builtinTargetSchema;
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      ctx.addIssue({
        code: "custom",
        message: issue.message,
        path: issue.path,
      });
    }
    return z.NEVER;
  }
  return parsed.data;
}).meta({
  // The transform hides the two shapes from generated documentation.
  oneOf: [builtinTargetSchema, webhookTargetSchema].map((schema) => {
    const { $schema: _, ...json } = z.toJSONSchema(schema, { io: "input" });
    return json;
  }),
});

export const jobPutSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  trigger: jobTriggerSchema,
  target: jobTargetSchema,
  runAtStartup: z.boolean().default(false),
});

export type JobPut = z.output<typeof jobPutSchema>;
export type JobTarget = z.output<typeof jobTargetSchema>;
export type BuiltinTarget = z.output<typeof builtinTargetSchema>;
export type FanoutTarget = Extract<BuiltinTarget, { builtin: "fanout" }>;

/** What the jobs table and the API hold: the trigger with its zone settled. */
export interface JobDefinition {
  id: string;
  name: string;
  trigger:
    | { type: "interval"; every: string }
    | { type: "cron"; cron: string; timezone: string };
  target: JobTarget;
  runAtStartup: boolean;
}

/** Reads a stored trigger or target back; Herald wrote it, but parse, not cast. */
export function parseStoredJob(row: {
  id: string;
  name: string;
  trigger: string;
  target: string;
  runAtStartup: boolean;
}): JobDefinition {
  const trigger = jobTriggerSchema.parse(JSON.parse(row.trigger));
  return {
    id: row.id,
    name: row.name,
    trigger: trigger.type === "cron"
      ? { ...trigger, timezone: trigger.timezone ?? "UTC" }
      : trigger,
    target: jobTargetSchema.parse(JSON.parse(row.target)),
    runAtStartup: row.runAtStartup,
  };
}
