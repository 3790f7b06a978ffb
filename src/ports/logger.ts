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
      ...fields,
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
 * A stable, non-reversible short form of a user id for logs (FNV-1a, 32 bit):
 * enough to follow one user through the logs without writing their id.
 */
export function shortId(id: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(id)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `u_${hash.toString(16).padStart(8, "0")}`;
}
