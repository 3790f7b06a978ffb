import { createRoute } from "@hono/zod-openapi";
import { internalError, json, openApiRoutes } from "../http/openapi.ts";
import { checkHealth } from "../services/ops/check_health.ts";
import { health } from "./scheduler_schemas.ts";

const liveness = createRoute({
  method: "get",
  operationId: "health",
  path: "/health",
  tags: ["Operations"],
  summary: "Which parts Herald reached, and how fast",
  description: "libSQL and QStash are required (`down` without them); " +
    "Redis only accelerates (`degraded`).",
  security: [],
  responses: {
    200: json(health, "ok or degraded"),
    503: json(health, "down"),
    ...internalError,
  },
});

/** Public liveness: which parts Herald reached, and how fast. */
export const healthRoutes = openApiRoutes()
  .openapi(liveness, async (c) => {
    const result = await checkHealth({ ctx: c.get("ctx") });
    return result.status === "down" ? c.json(result, 503) : c.json(result, 200);
  });
