/** Every error code a response can carry (`{error: {code, …}}`). */
export const ERROR_CODES = [
  "bad_request",
  "validation_failed",
  "unauthorized",
  "token_expired",
  "forbidden",
  "not_found",
  "method_not_allowed",
  "conflict",
  "payload_too_large",
  "unsupported_media_type",
  "idempotency_key_reused",
  "rate_limited",
  "unavailable",
  "internal",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export type ErrorStatus =
  | 400
  | 401
  | 403
  | 404
  | 405
  | 409
  | 413
  | 415
  | 422
  | 429
  | 500
  | 503;

/**
 * The one error type routes and services throw. Its code decides the HTTP
 * status; its message is safe to show (never an internal error's text).
 */
export class AppError extends Error {
  override name = "AppError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export function statusOf(code: ErrorCode): ErrorStatus {
  switch (code) {
    case "bad_request":
    case "validation_failed":
      return 400;
    case "unauthorized":
    case "token_expired":
      return 401;
    case "forbidden":
      return 403;
    case "not_found":
      return 404;
    case "method_not_allowed":
      return 405;
    case "conflict":
      return 409;
    case "payload_too_large":
      return 413;
    case "unsupported_media_type":
      return 415;
    case "idempotency_key_reused":
      return 422;
    case "rate_limited":
      return 429;
    case "unavailable":
      return 503;
    case "internal":
      return 500;
  }
}

/** A part Herald cannot work without; Redis only accelerates, so is absent. */
export type Dependency = "libsql" | "qstash";

const DEPENDENCY_NAMES: Record<Dependency, string> = {
  libsql: "The database (libSQL)",
  qstash: "QStash",
};

/** Seconds a client is asked to wait before trying again after an outage. */
const OUTAGE_RETRY_AFTER_S = 5;

/**
 * The 503 for a dependency that could not be reached: it names the part,
 * never its error, and asks the client to come back (`Retry-After`) unless
 * `retryAfterS` is null.
 */
export function dependencyUnavailable(
  dependency: Dependency,
  retryAfterS: number | null = OUTAGE_RETRY_AFTER_S,
): AppError {
  return new AppError(
    "unavailable",
    `${DEPENDENCY_NAMES[dependency]} could not be reached; try again shortly`,
    retryAfterS === null
      ? { dependency }
      : { dependency, retryAfter: retryAfterS },
  );
}
