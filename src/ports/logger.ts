import { fnv1a32 } from "../domain/fnv1a.ts";
import { scheduleOwner } from "../domain/schedule_plan.ts";

const USER_SCHEDULE_PREFIX = "herald.u.";

/**
 * Structured JSON logs with stable event names. Callers pass plain fields;
 * user ids go through `shortId()` and bodies or secrets are never passed.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, string | number | boolean | null>;

export interface Logger {
  log(level: LogLevel, event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export type LogSink = (line: string) => void;

export function createLogger(
  sink: LogSink = (line) => console.log(line),
  base: LogFields = {},
  minLevel: LogLevel = "info",
): Logger {
  const order: Record<LogLevel, number> = {
    debug: 0,
    info: 1,
    warn: 2,
    error: 3,
  };
  const log = (level: LogLevel, event: string, fields: LogFields = {}) => {
    if (order[level] < order[minLevel]) return;
    sink(JSON.stringify({
      ts: new Date().toISOString(),
      level,
      event,
      ...base,
      ...redactScheduleIds(fields),
    }));
  };
  return {
    log,
    info: (event, fields) => log("info", event, fields),
    warn: (event, fields) => log("warn", event, fields),
    error: (event, fields) => log("error", event, fields),
    child: (fields) => createLogger(sink, { ...base, ...fields }, minLevel),
  };
}

/**
 * User schedule ids embed the user id (base64url, reversible). Any field
 * value that is one is logged with that part replaced by `shortId()`, so no
 * caller can leak a user id through a schedule id.
 */
function redactScheduleIds(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] =
      typeof value === "string" && value.startsWith(USER_SCHEDULE_PREFIX)
        ? redactScheduleId(value)
        : value;
  }
  return out;
}

export function redactScheduleId(id: string): string {
  const owner = scheduleOwner(id);
  if (!owner) return id;
  const rest = id.slice(id.indexOf(".", USER_SCHEDULE_PREFIX.length));
  return `${USER_SCHEDULE_PREFIX}${shortId(owner.userId)}${rest}`;
}

/**
 * A stable, non-reversible short form of a user id for logs (FNV-1a, 32 bit):
 * enough to follow one user through the logs without writing their id.
 */
export function shortId(id: string): string {
  return `u_${fnv1a32(id).toString(16).padStart(8, "0")}`;
}
