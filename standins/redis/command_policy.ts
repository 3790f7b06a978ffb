/**
 * Commands the REST proxy refuses before they reach Redis. Every request
 * borrows a pooled connection, so anything that streams, blocks without end
 * or leaves state behind on the connection would break the next borrower.
 */

const STREAMING = new Set([
  "SUBSCRIBE",
  "PSUBSCRIBE",
  "SSUBSCRIBE",
  "UNSUBSCRIBE",
  "PUNSUBSCRIBE",
  "SUNSUBSCRIBE",
  "MONITOR",
  "SYNC",
  "PSYNC",
]);

const CONNECTION_STATE = new Set([
  "AUTH",
  "HELLO",
  "SELECT",
  "RESET",
  "QUIT",
  "MULTI",
  "EXEC",
  "DISCARD",
  "WATCH",
  "UNWATCH",
]);

/** Subcommands of CLIENT that change how this connection gets replies. */
const CLIENT_STATE = new Set(["REPLY", "TRACKING", "NO-EVICT", "NO-TOUCH"]);

type TimeoutLocator = (args: readonly string[]) => number | undefined;

/** Reads a timeout argument and converts it to milliseconds. */
const timeoutAt = (
  pick: (args: readonly string[]) => string | undefined,
  unitMs: number,
): TimeoutLocator =>
(args) => {
  const raw = pick(args)?.trim();
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value * unitMs : undefined;
};

const last = (args: readonly string[]) => args.at(-1);

/** XREAD/XREADGROUP block only with a BLOCK option ahead of STREAMS. */
const blockOption = (args: readonly string[]) => {
  const upper = args.map((a) => a.toUpperCase());
  const streams = upper.indexOf("STREAMS");
  const block = upper.indexOf("BLOCK");
  if (block === -1 || (streams !== -1 && block > streams)) return undefined;
  return args[block + 1];
};

/** Where each blocking command keeps its timeout, in milliseconds. */
const BLOCKING: ReadonlyMap<string, TimeoutLocator> = new Map([
  ["BLPOP", timeoutAt(last, 1000)],
  ["BRPOP", timeoutAt(last, 1000)],
  ["BRPOPLPUSH", timeoutAt(last, 1000)],
  ["BLMOVE", timeoutAt(last, 1000)],
  ["BZPOPMIN", timeoutAt(last, 1000)],
  ["BZPOPMAX", timeoutAt(last, 1000)],
  ["BLMPOP", timeoutAt((args) => args[1], 1000)],
  ["BZMPOP", timeoutAt((args) => args[1], 1000)],
  ["XREAD", timeoutAt(blockOption, 1)],
  ["XREADGROUP", timeoutAt(blockOption, 1)],
  ["WAIT", timeoutAt(last, 1)],
  ["WAITAOF", timeoutAt(last, 1)],
]);

/**
 * Why the proxy will not run this command, phrased like a Redis error, or
 * undefined when it may run. `maxBlockMs` is how long a request may hold a
 * connection.
 */
export function refusalReason(
  command: readonly string[],
  maxBlockMs: number,
): string | undefined {
  const name = (command[0] ?? "").toUpperCase();
  if (STREAMING.has(name)) {
    return `ERR ${name} streams replies and is not supported over REST`;
  }
  if (CONNECTION_STATE.has(name)) {
    return name === "MULTI" || name === "EXEC"
      ? `ERR ${name} is not supported here; send the transaction to /multi-exec`
      : `ERR ${name} changes connection state and is not supported over REST`;
  }
  if (name === "CLIENT" && CLIENT_STATE.has((command[1] ?? "").toUpperCase())) {
    return `ERR CLIENT ${
      command[1]?.toUpperCase()
    } changes connection state and is not supported over REST`;
  }
  const locate = BLOCKING.get(name);
  if (locate === undefined) return undefined;
  const timeoutMs = locate(command);
  // Redis itself rejects timeouts it cannot parse, so only valid ones matter.
  if (timeoutMs === 0) {
    return `ERR ${name} with a zero timeout would block forever; use a timeout below ${
      maxBlockMs / 1000
    } s`;
  }
  if (timeoutMs !== undefined && timeoutMs >= maxBlockMs) {
    return `ERR ${name} timeout must be below ${maxBlockMs / 1000} s over REST`;
  }
  return undefined;
}
