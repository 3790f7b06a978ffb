import { Hono } from "hono";
import { zValidator } from "@hono/zod-validator";
import { z } from "zod";
import { decodeCursor } from "../domain/paging.ts";
import { AppError } from "../errors.ts";
import { authenticate, requireAdmin } from "../http/auth.ts";
import type { HonoEnv } from "../http/env.ts";
import { orUnavailable } from "../http/unavailable.ts";
import { validationHook } from "../http/validation.ts";
import { getOperation } from "../ports/operation_store.ts";
import { countActiveUsers } from "../ports/preferences_store.ts";
import { recentDays } from "../ports/stats_store.ts";
import { checkHealth } from "../services/check_health.ts";
import { allDrift, userDrift } from "../services/drift_report.ts";
import { forceReconcile } from "../services/force_reconcile.ts";
import { schedulerStatus } from "../services/scheduler_status.ts";
import { viewOf } from "../services/operation_view.ts";
import {
  DEFAULT_OPERATION_OPTIONS,
  startOperation,
} from "../services/scheduler_operations.ts";

const userId = z.string().min(1).max(200);

const statusQuery = z.strictObject({
  userId: userId.optional(),
  cursor: z.string().min(1).max(400).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const operationQuery = z.strictObject({
  /** Users (restart) or schedules (stop, start) per page. */
  pageSize: z.coerce.number().int().min(1).max(1000).default(500),
  /** Pages this request does before continuing through QStash. */
  pagesPerCall: z.coerce.number().int().min(1).max(1_000_000).optional(),
});

const driftQuery = z.strictObject({ userId: userId.optional() });
const operationKind = z.enum(["stop", "start", "restart"]);

/**
 * Scheduler control for operators (admin key): status, start/stop/restart
 * as resumable operations, one user's drift repair, drift, health, users
 * count and daily stats.
 */
export const schedulerRoutes = new Hono<HonoEnv>()
  .use("/v1/scheduler/*", authenticate, requireAdmin)
  .get(
    "/v1/scheduler/status",
    zValidator("query", statusQuery, validationHook),
    async (c) => {
      const q = c.req.valid("query");
      const after = q.cursor === undefined ? null : decodeCursor(q.cursor);
      if (q.cursor !== undefined && after === null) {
        throw new AppError("validation_failed", `"cursor": Invalid cursor`, {
          fields: [{ path: "cursor", message: "Invalid cursor" }],
        });
      }
      return c.json(
        await schedulerStatus(c.get("deps"), {
          userId: q.userId ?? null,
          after,
          limit: q.limit,
        }),
      );
    },
  )
  .post(
    "/v1/scheduler/:kind{stop|start|restart}",
    zValidator("query", operationQuery, validationHook),
    async (c) => {
      const q = c.req.valid("query");
      const kind = operationKind.parse(c.req.param("kind"));
      const op = await startOperation(c.get("deps"), kind, {
        ...DEFAULT_OPERATION_OPTIONS,
        pageSize: q.pageSize,
        maxPages: q.pagesPerCall ?? DEFAULT_OPERATION_OPTIONS.maxPages,
      });
      // 503 for a failed one (resumable: POST again), 202 while it goes on.
      const status = op.status === "failed" ? 503 : op.continuing ? 202 : 200;
      return c.json({ operation: op }, status);
    },
  )
  .get("/v1/scheduler/operations/:id", async (c) => {
    const op = await getOperation(c.get("deps").db, c.req.param("id"));
    if (!op) throw new AppError("not_found", "No such operation");
    return c.json({ operation: viewOf(op) });
  })
  .post("/v1/scheduler/users/:userId/reconcile", async (c) => {
    const deps = c.get("deps");
    const id = userId.safeParse(c.req.param("userId"));
    if (!id.success) throw new AppError("validation_failed", "Invalid user id");
    return c.json(await orUnavailable(() => forceReconcile(deps, id.data)));
  })
  .get(
    "/v1/scheduler/drift",
    zValidator("query", driftQuery, validationHook),
    async (c) => {
      const deps = c.get("deps");
      const q = c.req.valid("query");
      return c.json(
        await orUnavailable(() =>
          q.userId === undefined ? allDrift(deps) : userDrift(deps, q.userId)
        ),
      );
    },
  )
  .get("/v1/scheduler/health", async (c) => {
    const health = await checkHealth(c.get("deps"));
    return c.json(health, health.status === "down" ? 503 : 200);
  })
  .get("/v1/scheduler/users-count", async (c) => {
    return c.json({ count: await countActiveUsers(c.get("deps").db) });
  })
  .get("/v1/scheduler/stats", async (c) => {
    const days = await recentDays(c.get("deps").db, 500);
    return c.json({ days });
  });
