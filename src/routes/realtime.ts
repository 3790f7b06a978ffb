import { Hono } from "hono";
import { authenticate, requireAdmin } from "../http/auth.ts";
import type { HonoEnv } from "../http/env.ts";
import { outboxSize } from "../store/notification_store.ts";

/** Operators' view of the real-time layer. */
export const realtimeRoutes = new Hono<HonoEnv>()
  .get("/v1/realtime/status", authenticate, requireAdmin, async (c) => {
    const deps = c.get("deps");
    const [status, pendingFanouts] = await Promise.all([
      deps.channels.status(),
      outboxSize(deps.db),
    ]);
    return c.json({
      ...status,
      pendingFanouts,
      checkedAt: new Date(deps.now()).toISOString(),
    });
  });
