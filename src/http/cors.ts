import { cors } from "hono/cors";
import type { MiddlewareHandler } from "hono";
import type { HonoEnv } from "./env.ts";

/**
 * CORS for the configured origins (CORS_ORIGINS, comma-separated; "*" for
 * any). With none configured, no CORS headers are sent at all.
 */
export const corsMiddleware: MiddlewareHandler<HonoEnv> = async (c, next) => {
  const origins = c.get("ctx").config.corsOrigins;
  // The SSE route sets its own CORS headers: its response may be a Durable
  // Object's, passed through with headers that cannot be changed.
  const isStream = c.req.method === "GET" && c.req.path === "/v1/stream";
  if (!origins.length || isStream) return await next();
  const preflight = await cors({
    origin: origins.includes("*") ? "*" : origins,
    allowHeaders: [
      "Authorization",
      "Content-Type",
      "Idempotency-Key",
      "Last-Event-ID",
    ],
    exposeHeaders: ["Allow", "Retry-After", "X-Request-Id"],
    maxAge: 600,
  })(c, next);
  if (preflight) return preflight;
  // This middleware answers OPTIONS on every path it covers (a preflight),
  // so a path's methods include it (http/allowed_methods.ts).
  const allow = c.res.headers.get("allow");
  if (c.res.status === 405 && allow !== null) {
    c.res.headers.set("Allow", `${allow}, OPTIONS`);
  }
};

/** The same answer as headers, for responses built outside Hono (SSE). */
export function corsHeadersFor(
  origin: string | undefined,
  origins: readonly string[],
): Record<string, string> {
  if (!origins.length || !origin) return {};
  if (origins.includes("*")) return { "Access-Control-Allow-Origin": "*" };
  return origins.includes(origin)
    ? { "Access-Control-Allow-Origin": origin, Vary: "Origin" }
    : {};
}
