import type { Context } from "hono";
import { matchedRoutes } from "hono/route";
import { HTTP_REQUEST_DURATION } from "../domain/metrics/histogram.ts";
import type { MetricsRecorder } from "../ports/metrics.ts";
import { observe } from "../ports/metrics.ts";

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]);

/**
 * The route pattern a request was routed to (`/v1/users/:userId/…`, never
 * the user id itself), or "unmatched": anything a client can vary freely
 * would make a label of unbounded values.
 */
function routeLabel(c: Context): string {
  // Middleware is registered for ALL methods; the route's handler is the
  // last entry with a method of its own, whether or not it ran (a 401
  // thrown by auth middleware still belongs to its route).
  const handlers = matchedRoutes(c).filter((r) => r.method !== "ALL");
  return handlers.at(-1)?.path ?? "unmatched";
}

/** Records one answered request in `herald_http_request_duration_seconds`. */
export function recordRequest(
  metrics: Pick<MetricsRecorder, "count">,
  c: Context,
  seconds: number,
): void {
  const method = METHODS.has(c.req.method) ? c.req.method : "other";
  observe(metrics, HTTP_REQUEST_DURATION, {
    method,
    route: routeLabel(c),
    status: `${Math.floor(c.res.status / 100)}xx`,
  }, seconds);
}
