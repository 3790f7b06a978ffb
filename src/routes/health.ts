import { Hono } from "hono";
import type { HonoEnv } from "../http/env.ts";
import { checkHealth } from "../services/check_health.ts";

/** Public liveness: which parts Herald reached, and how fast. */
export const healthRoutes = new Hono<HonoEnv>()
  .get("/health", async (c) => {
    const health = await checkHealth(c.get("deps"));
    return c.json(health, health.status === "down" ? 503 : 200);
  });
