/**
 * The three ways a Hrana request can fail, as sqld distinguishes them:
 * - HranaError: one request in the pipeline failed; the others still run and the
 *   error travels inside the 200 response as `{message, code}`.
 * - ProtocolError: the client broke the protocol; the whole HTTP request fails
 *   with 400 text/plain and the stream is dropped.
 * - StreamExpiredError: the stream idled out; 500 with a JSON error body.
 */

export class HranaError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly sqliteCode?: number,
  ) {
    super(message);
    this.name = "HranaError";
  }

  toProto(): { message: string; code: string } {
    return { message: this.message, code: this.code };
  }
}

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

export class StreamExpiredError extends Error {
  readonly code = "STREAM_EXPIRED";
  constructor() {
    super("The stream has expired due to inactivity");
    this.name = "StreamExpiredError";
  }
}

export const SQLITE_BUSY = 5;

/**
 * sqld names errors after rusqlite's primary-code enum, which has no variant
 * for plain SQLITE_ERROR: "no such table" therefore reaches clients as
 * SQLITE_UNKNOWN, and so it does here.
 */
const SQLD_CODE_NAMES: Record<number, string> = {
  2: "SQLITE_INTERNAL",
  3: "SQLITE_PERM",
  4: "SQLITE_ABORT",
  5: "SQLITE_BUSY",
  6: "SQLITE_LOCKED",
  7: "SQLITE_NOMEM",
  8: "SQLITE_READONLY",
  9: "SQLITE_INTERRUPT",
  10: "SQLITE_IOERR",
  11: "SQLITE_CORRUPT",
  12: "SQLITE_NOTFOUND",
  13: "SQLITE_FULL",
  14: "SQLITE_CANTOPEN",
  15: "SQLITE_PROTOCOL",
  17: "SQLITE_SCHEMA",
  18: "SQLITE_TOOBIG",
  19: "SQLITE_CONSTRAINT",
  20: "SQLITE_MISMATCH",
  21: "SQLITE_MISUSE",
  22: "SQLITE_NOLFS",
  23: "SQLITE_AUTH",
  25: "SQLITE_RANGE",
  26: "SQLITE_NOTADB",
};

interface EngineError {
  message: string;
  code: string;
  rawCode?: number;
}

/** libsql's SqliteError: `code` is the extended name, `rawCode` the extended number. */
export function isEngineError(error: unknown): error is EngineError {
  if (!(error instanceof Error)) return false;
  const code: unknown = Reflect.get(error, "code");
  return typeof code === "string" && code.startsWith("SQLITE_");
}

const PARSE_ERROR_PATTERN = /syntax error|incomplete input|unrecognized token/;

export function isSyntaxError(error: EngineError): boolean {
  return PARSE_ERROR_PATTERN.test(error.message);
}

export function primaryCode(error: EngineError): number {
  return (error.rawCode ?? 1) & 0xff;
}

/** Turns an engine failure into the error sqld would report for it. */
export function stmtErrorFromEngine(error: unknown): unknown {
  if (!isEngineError(error)) return error;
  if (isSyntaxError(error)) return parseError(error.message);
  const primary = primaryCode(error);
  const code = SQLD_CODE_NAMES[primary] ?? "SQLITE_UNKNOWN";
  return new HranaError(`SQLite error: ${error.message}`, code, primary);
}

export function parseError(detail: string): HranaError {
  return new HranaError(
    `SQL string could not be parsed: ${detail}`,
    "SQL_PARSE_ERROR",
  );
}

export function argsInvalid(detail: string): HranaError {
  return new HranaError(
    `Arguments do not match SQL parameters: ${detail}`,
    "ARGS_INVALID",
  );
}
