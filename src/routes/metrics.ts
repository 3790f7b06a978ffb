import { Hono } from "hono";
import { authenticate, requireAdmin } from "../http/auth.ts";
import type { HonoEnv } from "../http/env.ts";
import { prometheusText } from "../services/metrics_report.ts";

/** `GET /metrics` (admin key): Prometheus text format. */
export const metricsRoutes = new Hono<HonoEnv>()
  .get("/metrics", authenticate, requireAdmin, async (c) => {
    const text = await prometheusText(c.get("deps"));
    return c.body(text, 200, {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
    });
  });
