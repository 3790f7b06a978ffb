import { z } from "zod";
import {
  daysSchema,
  timesSchema,
} from "../../src/domain/preferences/preferences_schema.ts";
import { canonicalTimeZone } from "../../src/domain/time/time_zone.ts";

/**
 * Response shapes the tests read. Parsing (not casting) is itself an
 * assertion: a response that drifts from its documented shape fails here.
 */
export const errorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    requestId: z.string(),
    fields: z.array(z.object({ path: z.string(), message: z.string() }))
      .optional(),
  }),
});

const partHealth = z.object({
  ok: z.boolean(),
  latencyMs: z.number(),
  configured: z.boolean(),
  error: z.string().optional(),
});

export const healthBody = z.object({
  status: z.enum(["ok", "degraded", "down"]),
  checks: z.object({
    libsql: partHealth,
    qstash: partHealth,
    redis: partHealth,
  }),
  push: z.enum(["on", "off"]),
  checkedAt: z.string(),
});

// Returned preferences: every type's times and days as valid as a PUT's.
const preferences = z.strictObject({
  enabled: z.boolean(),
  timezone: z.string().refine((zone) => canonicalTimeZone(zone) !== null),
  quietHours: z.object({ start: z.string(), end: z.string() }).nullable(),
  channels: z.strictObject({ push: z.boolean() }),
  types: z.record(
    z.string(),
    z.strictObject({
      enabled: z.boolean(),
      times: timesSchema,
      days: daysSchema,
      channels: z.strictObject({ push: z.boolean() }),
    }),
  ),
});

export const preferencesView = z.object({
  userId: z.string(),
  preferences,
  version: z.number().int(),
  sync: z.object({
    status: z.enum(["synced", "pending", "unsaved"]),
    syncedVersion: z.number().int(),
  }),
});

export const reconcileOutcome = z.object({
  status: z.enum(["synced", "pending"]),
  created: z.array(z.string()),
  updated: z.array(z.string()),
  deleted: z.array(z.string()),
  unchanged: z.array(z.string()),
  reason: z.string().optional(),
});

export const writeResult = z.object({
  userId: z.string(),
  preferences,
  version: z.number().int(),
  changes: z.array(
    z.object({ path: z.string(), from: z.unknown(), to: z.unknown() }),
  ),
  reconcile: reconcileOutcome,
});
export type WriteResult = z.infer<typeof writeResult>;

/** Reads a response body through one of the schemas above. */
export async function read<T>(
  res: Response,
  schema: z.ZodType<T>,
): Promise<T> {
  return schema.parse(await res.json());
}
