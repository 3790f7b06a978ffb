/**
 * Reconnect delays: exponential, capped, with *full jitter* — a uniform
 * draw from [0, cap) rather than cap ± a little — so that thousands of
 * tabs cut off by one deploy do not all come back in the same instant.
 */
export interface BackoffOptions {
  /** The cap for the first retry. */
  initialMs: number;
  /** No delay ever exceeds this. */
  maxMs: number;
  /** Growth of the cap per failed attempt. */
  factor: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  initialMs: 500,
  maxMs: 30_000,
  factor: 2,
};

/**
 * The delay before retry number `attempt` (0 for the first), in
 * [0, min(maxMs, initialMs × factor^attempt)). `random` is Math.random's
 * contract: a number in [0, 1).
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  return Math.floor(random() * backoffCap(attempt, options));
}

/** min(maxMs, initialMs × factor^attempt): the window retry `attempt` draws from. */
export function backoffCap(attempt: number, options: BackoffOptions): number {
  const growth = options.initialMs * options.factor ** Math.max(0, attempt);
  return Math.min(options.maxMs, Number.isFinite(growth) ? growth : Infinity);
}
