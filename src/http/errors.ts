import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import {
  AppError,
  dependencyUnavailable,
  type ErrorCode,
  statusOf,
} from "../errors.ts";
import { databaseOutageOf } from "../store/database_outage.ts";
import type { HonoEnv } from "./env.ts";

export function errorBody(
  code: ErrorCode,
  message: string,
  requestId: string,
  details?: Record<string, unknown>,
) {
  return { error: { code, message, requestId, ...details } };
}

/**
 * The one place errors become responses. AppErrors carry a safe message;
 * a libSQL that could not be reached is a 503 naming it, wherever the
 * route met it; anything else is logged with the request id and answered
 * opaquely.
 */
export function handleError(err: Error, c: Context<HonoEnv>): Response {
  const requestId = c.get("requestId") ?? "unknown";
  const outage = databaseOutageOf(err);
  if (outage) {
    c.get("ctx")?.log.warn("dependency.unavailable", {
      requestId,
      dependency: "libsql",
      reason: outage.reason,
    });
    err = dependencyUnavailable("libsql");
  }
  if (err instanceof AppError) {
    const retryAfter = err.details?.retryAfter;
    if (typeof retryAfter === "number") {
      c.header("Retry-After", String(retryAfter));
    }
    return c.json(
      errorBody(err.code, err.message, requestId, err.details),
      statusOf(err.code),
    );
  }
  if (err instanceof HTTPException && err.status < 500) {
    // Hono's own 4xx (a media type that @hono/zod-openapi refuses after
    // jsonOnly accepted it).
    const code: ErrorCode = err.status === 415
      ? "unsupported_media_type"
      : "bad_request";
    return c.json(
      errorBody(code, err.message || "Bad request", requestId),
      statusOf(code),
    );
  }
  c.get("ctx")?.log.error("request.failed", {
    requestId,
    path: c.req.path,
    error: err.name,
  });
  return c.json(errorBody("internal", "Internal error", requestId), 500);
}
