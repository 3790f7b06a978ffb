import { Hono } from "hono";
import { authenticate, requireAdmin } from "../http/auth.ts";
import type { HonoEnv } from "../http/env.ts";
import { realtimeStatus } from "../services/ops/realtime_status.ts";

/** Operators' view of the real-time layer. */
export const realtimeRoutes = new Hono<HonoEnv>()
  .get(
    "/v1/realtime/status",
    authenticate,
    requireAdmin,
    async (c) => c.json(await realtimeStatus({ ctx: c.get("ctx") })),
  );
