import { createRoute, z } from "@hono/zod-openapi";
import { authenticate, requireAdmin } from "../http/auth.ts";
import { adminOnly, errors, openApiRoutes } from "../http/openapi.ts";
import { prometheusText } from "../services/ops/metrics_report.ts";

const PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

const scrape = createRoute({
  method: "get",
  operationId: "metrics",
  path: "/metrics",
  tags: ["Operations"],
  summary: "Prometheus metrics",
  description: "Counters and histograms summed over every isolate and " +
    "process (flushed to libSQL), plus live gauges. Labels never carry " +
    "user ids.",
  security: adminOnly,
  middleware: [authenticate, requireAdmin],
  responses: {
    200: {
      description: "Prometheus text format 0.0.4",
      content: { [PROMETHEUS_TEXT]: { schema: z.string() } },
    },
    ...errors(401, 403),
  },
});

/** `GET /metrics` (admin key): Prometheus text format. */
export const metricsRoutes = openApiRoutes()
  .openapi(scrape, async (c) => {
    const text = await prometheusText({ ctx: c.get("ctx") });
    return c.text(text, 200, { "content-type": PROMETHEUS_TEXT });
  });
