import { z } from "zod";
import { effectivePreferences } from "../../src/domain/preference_overrides.ts";
import { preferencesPutSchema } from "../../src/domain/preferences.ts";

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
  checkedAt: z.string(),
});

// Returned preferences must be valid input for a PUT, every type present.
const preferences = preferencesPutSchema.transform(effectivePreferences);

export const preferencesView = z.object({
  userId: z.string(),
  preferences,
  version: z.number().int(),
  sync: z.object({
    status: z.enum(["synced", "pending"]),
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
