import type { LogFields, Logger, LogLevel, LogSink } from "../ports/logger.ts";
import { redactScheduleIds } from "../domain/codecs/log_redaction.ts";

/** The Logger as one JSON object per line, schedule ids redacted. */
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
