/**
 * Durations as QStash reads them: Go's `time.ParseDuration` syntax plus a `d`
 * (day) unit, so `"30s"`, `"1h30m"` and `"1d10h"` all work, as the SDK sends
 * them in `Upstash-Delay` and `Upstash-Timeout`.
 */
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/y;

/** Milliseconds, or undefined when `text` is not a duration. */
export function parseDurationMs(text: string): number | undefined {
  const input = text.trim();
  if (input === "") return undefined;
  if (input === "0") return 0;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < input.length) {
    const start = PART.lastIndex;
    const match = PART.exec(input);
    if (!match || match.index !== start) return undefined;
    const [, amount, unit] = match;
    total += Number(amount) * (UNIT_MS[unit ?? ""] ?? Number.NaN);
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

const ONE_DAY_MS = 86_400_000;

/**
 * Reads a `Retry-After` response header: seconds, an HTTP date, or a Go
 * duration. QStash honours it up to one day, so longer waits are capped.
 */
export function parseRetryAfterMs(
  value: string | null,
  nowMs: number,
): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  let ms: number | undefined;
  if (/^\d+$/.test(text)) ms = Number(text) * 1_000;
  else {
    ms = parseDurationMs(text);
    if (ms === undefined) {
      const date = Date.parse(text);
      if (!Number.isNaN(date)) ms = Math.max(0, date - nowMs);
    }
  }
  return ms === undefined ? undefined : Math.min(ms, ONE_DAY_MS);
}
