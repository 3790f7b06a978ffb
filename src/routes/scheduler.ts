import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { AppError } from "../errors.ts";
import { authenticate, requireAdmin } from "../http/auth.ts";
import type { HonoEnv } from "../http/env.ts";
import { adminOnly, errors, json, openApiRoutes } from "../http/openapi.ts";
import { orUnavailable } from "../http/unavailable.ts";
import { checkHealth } from "../services/ops/check_health.ts";
import { activeUserCount, statsByDay } from "../services/ops/usage.ts";
import { allDrift, userDrift } from "../services/control/drift_report.ts";
import { forceReconcile } from "../services/control/force_reconcile.ts";
import { schedulerStatus } from "../services/control/scheduler_status.ts";
import { slotLoad } from "../services/control/slot_load.ts";
import { readOperation } from "../services/control/operation_view.ts";
import {
  DEFAULT_OPERATION_OPTIONS,
  startOperation,
} from "../services/control/scheduler_operations.ts";
import {
  dailyStats,
  driftReport,
  forcedReconcile,
  health,
  operationBody,
  operationQuery,
  paceOf,
  schedulerStatus as statusSchema,
} from "./scheduler_schemas.ts";

const userId = z.string().min(1).max(200);

const statusQuery = z.strictObject({
  userId: userId.optional().openapi({ description: "One user's schedules." }),
  cursor: z.string().min(1).max(400).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const driftQuery = z.strictObject({
  userId: userId.optional().openapi({ description: "One user; else all." }),
});

const tags = ["Scheduler"];
const admin = {
  tags,
  security: adminOnly,
  middleware: [authenticate, requireAdmin],
};

const status = createRoute({
  method: "get",
  operationId: "schedulerStatus",
  path: "/v1/scheduler/status",
  summary: "Scheduler status",
  description: "Running or stopped, active schedules and a page of them " +
    "(from the ledger) with each one's next run in its zone.",
  ...admin,
  request: { query: statusQuery },
  responses: {
    200: json(statusSchema, "Status and one page of schedules"),
    ...errors(400, 401, 403),
  },
});

const operations = ["stop", "start", "restart"] as const;
const operationDescriptions: Record<(typeof operations)[number], string> = {
  stop: "Pause every schedule Herald owns. Preference writes still save and " +
    "reconcile into paused schedules.",
  start: "Resume every schedule Herald owns.",
  restart: "Reconcile every user against what QStash really holds and " +
    "delete orphans. Paged; continued through QStash when long; resumable " +
    "after a failure (POST again).",
};

function operationRoute(kind: (typeof operations)[number]) {
  return createRoute({
    method: "post",
    operationId: `${kind}Scheduler`,
    path: `/v1/scheduler/${kind}`,
    summary: `${kind[0]?.toUpperCase()}${kind.slice(1)} the scheduler`,
    description: operationDescriptions[kind],
    ...admin,
    request: { query: operationQuery },
    responses: {
      200: json(operationBody, "Done"),
      202: json(operationBody, "Under way; continues in the background"),
      503: json(
        operationBody,
        "Failed (QStash unreachable); POST again to resume",
      ),
      ...errors(400, 401, 403, 409),
    },
  });
}

const operation = createRoute({
  method: "get",
  operationId: "getOperation",
  path: "/v1/scheduler/operations/{id}",
  summary: "One restart, stop or start",
  ...admin,
  request: {
    params: z.object({
      id: z.string().openapi({ param: { name: "id", in: "path" } }),
    }),
  },
  responses: {
    200: json(operationBody, "The operation"),
    ...errors(401, 403, 404),
  },
});

const reconcileUser = createRoute({
  method: "post",
  operationId: "reconcileUser",
  path: "/v1/scheduler/users/{userId}/reconcile",
  summary: "Repair one user's drift",
  description: "Compares QStash with the user's plan, then reconciles.",
  ...admin,
  request: {
    params: z.object({
      userId: z.string().openapi({ param: { name: "userId", in: "path" } }),
    }),
  },
  responses: {
    200: json(forcedReconcile, "Drift found and the reconcile outcome"),
    ...errors(400, 401, 403, 503),
  },
});

const drift = createRoute({
  method: "get",
  operationId: "schedulerDrift",
  path: "/v1/scheduler/drift",
  summary: "Compare QStash with what Herald wants",
  ...admin,
  request: { query: driftQuery },
  responses: {
    200: json(driftReport, "Per schedule: ok, missing, unexpected, different"),
    ...errors(400, 401, 403, 503),
  },
});

const slotLoadBody = z.object({
  placement: z.enum(["slots", "per-user"]),
  running: z.boolean(),
  slots: z.array(z.object({
    slot: z.string().openapi({ example: "1330", description: "UTC HHMM." }),
    members: z.number().int().openapi({
      description: "Slot members (shared slots), or per-user schedules " +
        "whose next run falls in that minute.",
    }),
    paused: z.boolean(),
  })).openapi({ description: "Busy minutes only, in order." }),
  checkedAt: z.string().openapi({ format: "date-time" }),
}).openapi("SlotLoad");

const slots = createRoute({
  method: "get",
  operationId: "slotLoad",
  path: "/v1/scheduler/slots",
  summary: "How busy each UTC minute of the day is",
  description: "From the ledger and slot members, not QStash: members " +
    "per slot and whether it is paused (the console's heat map).",
  ...admin,
  responses: {
    200: json(slotLoadBody, "Busy minutes"),
    ...errors(401, 403),
  },
});

const schedulerHealth = createRoute({
  method: "get",
  operationId: "schedulerHealth",
  path: "/v1/scheduler/health",
  summary: "Health (as /health)",
  ...admin,
  responses: {
    200: json(health, "ok or degraded"),
    503: json(health, "down: libSQL or QStash unreachable"),
    ...errors(401, 403),
  },
});

const usersCount = createRoute({
  method: "get",
  operationId: "activeUsersCount",
  path: "/v1/scheduler/users-count",
  summary: "Active users",
  description: "Users with notifications on and at least one type on.",
  ...admin,
  responses: {
    200: json(z.object({ count: z.number().int() }), "The count"),
    ...errors(401, 403),
  },
});

const stats = createRoute({
  method: "get",
  operationId: "dailyStats",
  path: "/v1/scheduler/stats",
  summary: "Daily counts",
  description: "Sent and read per day and type, as the `stats` job counted.",
  ...admin,
  responses: {
    200: json(dailyStats, "Newest day first"),
    ...errors(401, 403),
  },
});

/** Starts (or resumes) an operation; its state picks the status. */
async function operate(
  c: Context<HonoEnv>,
  kind: (typeof operations)[number],
  q: z.output<typeof operationQuery>,
) {
  const operation = await startOperation({
    ctx: c.get("ctx"),
    kind,
    options: {
      ...DEFAULT_OPERATION_OPTIONS,
      ...paceOf(q),
    },
  });
  // 503 for a failed one (resumable: POST again), 202 while it goes on.
  if (operation.status === "failed") return c.json({ operation }, 503);
  return operation.continuing
    ? c.json({ operation }, 202)
    : c.json({ operation }, 200);
}

/**
 * Scheduler control for operators (admin key): status, start/stop/restart
 * as resumable operations, one user's drift repair, drift, health, users
 * count and daily stats.
 */
export const schedulerRoutes = openApiRoutes()
  .openapi(status, async (c) => {
    const q = c.req.valid("query");
    return c.json(
      await schedulerStatus({
        ctx: c.get("ctx"),
        query: {
          userId: q.userId ?? null,
          cursor: q.cursor ?? null,
          limit: q.limit,
        },
      }),
      200,
    );
  })
  .openapi(
    operationRoute("stop"),
    (c) => operate(c, "stop", c.req.valid("query")),
  )
  .openapi(
    operationRoute("start"),
    (c) => operate(c, "start", c.req.valid("query")),
  )
  .openapi(
    operationRoute("restart"),
    (c) => operate(c, "restart", c.req.valid("query")),
  )
  .openapi(
    slots,
    async (c) => c.json(await slotLoad({ ctx: c.get("ctx") }), 200),
  )
  .openapi(operation, async (c) => {
    const operation = await readOperation({
      ctx: c.get("ctx"),
      id: c.req.valid("param").id,
    });
    if (!operation) throw new AppError("not_found", "No such operation");
    return c.json({ operation }, 200);
  })
  .openapi(reconcileUser, async (c) => {
    const ctx = c.get("ctx");
    const id = userId.safeParse(c.req.valid("param").userId);
    if (!id.success) throw new AppError("validation_failed", "Invalid user id");
    return c.json(
      await orUnavailable(() => forceReconcile({ ctx, userId: id.data })),
      200,
    );
  })
  .openapi(drift, async (c) => {
    const ctx = c.get("ctx");
    const q = c.req.valid("query");
    return c.json(
      await orUnavailable(() =>
        q.userId === undefined
          ? allDrift({ ctx })
          : userDrift({ ctx, userId: q.userId })
      ),
      200,
    );
  })
  .openapi(schedulerHealth, async (c) => {
    const result = await checkHealth({ ctx: c.get("ctx") });
    return result.status === "down" ? c.json(result, 503) : c.json(result, 200);
  })
  .openapi(usersCount, async (c) => {
    return c.json({ count: await activeUserCount({ ctx: c.get("ctx") }) }, 200);
  })
  .openapi(stats, async (c) => {
    const days = await statsByDay({ ctx: c.get("ctx") });
    return c.json({ days }, 200);
  });
