import { createRoute, z } from "@hono/zod-openapi";
import {
  preferencesPatchSchema,
  preferencesPutSchema,
} from "../domain/preferences/preferences.ts";
import { WEEKDAYS } from "../domain/time/weekday.ts";
import { authenticate, requireSelfOrAdmin } from "../http/auth.ts";
import { jsonOnly } from "../http/json_body.ts";
import {
  adminOrUser,
  errors,
  json,
  jsonRequest,
  openApiRoutes,
} from "../http/openapi.ts";
import { readPreferences } from "../services/preferences/read_preferences.ts";
import { updatePreferences } from "../services/preferences/update_preferences.ts";

const localTime = z.string().openapi({ example: "09:30" });

const preferences = z.object({
  enabled: z.boolean(),
  timezone: z.string().openapi({ example: "Europe/Paris" }),
  quietHours: z.object({ start: localTime, end: localTime }).nullable(),
  channels: z.object({ push: z.boolean() }).openapi({
    description: "Web Push overall: `false` switches off every push but " +
      "critical types' (precedence: README, Web Push).",
  }),
  types: z.record(
    z.string(),
    z.object({
      enabled: z.boolean(),
      times: z.array(localTime),
      days: z.array(z.enum(WEEKDAYS)),
      channels: z.object({ push: z.boolean() }).openapi({
        description: "Web Push for this type; until the user chooses, on " +
          "unless the type's `channels.push` is `off`. A critical type's " +
          "cannot be switched off.",
      }),
    }),
  ).openapi({ description: "Every catalogue type, in catalogue order." }),
}).openapi("Preferences", {
  description: "A user's effective preferences: what they chose over the " +
    "catalogue's defaults.",
});

const sync = z.object({
  status: z.enum(["synced", "pending", "unsaved"]).openapi({
    description: "`unsaved`: the user never saved; the defaults are shown " +
      "and nothing is scheduled for them until a first save. `pending`: " +
      "QStash does not hold the latest version yet (it is being brought " +
      "there, or retried by the cron trigger).",
  }),
  syncedVersion: z.number().int(),
});

const preferencesView = z.object({
  userId: z.string(),
  preferences,
  version: z.number().int().openapi({
    description: "0 until the user saves anything.",
  }),
  sync,
}).openapi("PreferencesView");

export const reconcileOutcome = z.object({
  status: z.enum(["synced", "pending"]),
  created: z.array(z.string()),
  updated: z.array(z.string()),
  deleted: z.array(z.string()),
  unchanged: z.array(z.string()),
  reason: z.enum([
    "scheduler_unavailable",
    "database_unavailable",
    "in_progress",
  ]).optional().openapi({
    description: "Why the outcome is pending; the save stands and the " +
      "cron trigger retries.",
  }),
}).openapi("ReconcileOutcome");

const writeResult = z.object({
  userId: z.string(),
  preferences,
  version: z.number().int(),
  changes: z.array(z.object({
    path: z.string().openapi({ example: "types.taskReminder.times" }),
    from: z.unknown(),
    to: z.unknown(),
  })),
  reconcile: reconcileOutcome,
}).openapi("PreferencesWriteResult");

const params = z.object({
  userId: z.string().openapi({
    param: { name: "userId", in: "path" },
    example: "user-42",
  }),
});

const path = "/v1/users/{userId}/preferences";
const tags = ["Preferences"];

const read = createRoute({
  method: "get",
  operationId: "getPreferences",
  path,
  tags,
  summary: "Read a user's preferences",
  description: "The catalogue's defaults (version 0, `sync.status` " +
    "`unsaved`) before any save: nothing is scheduled until the first one.",
  security: adminOrUser,
  middleware: [authenticate, requireSelfOrAdmin],
  request: { params },
  responses: {
    200: json(preferencesView, "The user's preferences"),
    ...errors(401, 403),
  },
});

const replace = createRoute({
  method: "put",
  operationId: "replacePreferences",
  path,
  tags,
  summary: "Replace what the user chose",
  description: "Types left out are switched off; a type's times or days " +
    "left out follow its default ones. Saves a new version and reconciles the user's " +
    "QStash schedules at once (only what changed).",
  security: adminOrUser,
  middleware: [authenticate, requireSelfOrAdmin, jsonOnly],
  request: { params, body: jsonRequest(preferencesPutSchema) },
  responses: {
    200: json(writeResult, "Saved (or unchanged) and reconciled"),
    ...errors(400, 401, 403, 413, 415),
  },
});

const merge = createRoute({
  method: "patch",
  operationId: "updatePreferences",
  path,
  tags,
  summary: "Change some preferences",
  description: 'Merged field by field; `"quietHours": null` clears the ' +
    "window. Concurrent writes apply one after another; the last one wins.",
  security: adminOrUser,
  middleware: [authenticate, requireSelfOrAdmin, jsonOnly],
  request: { params, body: jsonRequest(preferencesPatchSchema) },
  responses: {
    200: json(writeResult, "Saved (or unchanged) and reconciled"),
    ...errors(400, 401, 403, 413, 415),
  },
});

/** A user's notification preferences; every write reconciles at once. */
export const preferencesRoutes = openApiRoutes()
  .openapi(read, async (c) => {
    const { userId } = c.req.valid("param");
    return c.json(await readPreferences({ ctx: c.get("ctx"), userId }), 200);
  })
  .openapi(replace, async (c) => {
    const result = await updatePreferences({
      ctx: c.get("ctx"),
      userId: c.req.valid("param").userId,
      update: { mode: "replace", put: c.req.valid("json") },
    });
    return c.json(result, 200);
  })
  .openapi(merge, async (c) => {
    const result = await updatePreferences({
      ctx: c.get("ctx"),
      userId: c.req.valid("param").userId,
      update: { mode: "merge", patch: c.req.valid("json") },
    });
    return c.json(result, 200);
  });
