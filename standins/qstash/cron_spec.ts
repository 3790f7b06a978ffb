import { Cron, CronPattern } from "croner";
import { localMinuteKey } from "./zone_time.ts";

/**
 * A schedule's `Upstash-Cron`: five fields (or a descriptor such as `@daily`),
 * optionally prefixed by `CRON_TZ=<IANA zone> ` (robfig/cron also reads
 * `TZ=`); UTC otherwise. croner evaluates the pattern; this module only adds
 * the rules where croner and robfig/cron (which QStash runs) differ.
 *
 * What croner 11 does around DST (checked against America/New_York, 2025):
 * - Spring-forward gap (02:00–03:00 on 9 March does not exist): a fixed-time
 *   pattern (`30 2 * * *`) is moved to 03:00, the first valid time after the
 *   gap, and `match()` is false there; an interval pattern (`0,30 * * * *`) or
 *   an hour list (`30 2,14 * * *`) just skips the gap.
 * - Fall-back overlap (01:00–02:00 on 2 November happens twice): a fixed-time
 *   pattern fires once, at the first (EDT) occurrence; interval patterns and
 *   hour lists fire on both occurrences.
 *
 * What this dev server does instead, as robfig/cron does for gaps:
 * - A time inside a gap never fires that day: candidates croner shifted out
 *   of the gap (`match()` false) are dropped.
 * - A local time fires once in an overlap — the second occurrence of a
 *   repeated local minute is dropped — unless the pattern matches every hour
 *   (`0,30 * * * *`, `0 * * * *`), which keeps its rhythm through the repeated
 *   hour so that "every half hour" stays every half hour.
 */
export interface CronSpec {
  /** The IANA zone the pattern is read in. */
  readonly zone: string;
  /** First firing strictly after `afterMs`, or undefined if there is none. */
  next(afterMs: number): number | undefined;
}

export type CronSpecResult =
  | { ok: true; spec: CronSpec }
  | { ok: false; error: string };

const ZONE_PREFIX = /^\s*(?:CRON_TZ|TZ)=(\S+)\s+(.+)$/;
const DESCRIPTORS = new Set([
  "@yearly",
  "@annually",
  "@monthly",
  "@weekly",
  "@daily",
  "@midnight",
  "@hourly",
]);
// croner also understands `L`, `W`, `#` and `+`; robfig/cron does not.
const ROBFIG_DAY_OF_MONTH = /^[0-9*?,/-]+$/;
const ROBFIG_DAY_OF_WEEK = /^[0-9A-Za-z*?,/-]+$/;
const MAX_SKIPPED_CANDIDATES = 1_000;

export function parseCronSpec(text: string): CronSpecResult {
  const prefixed = ZONE_PREFIX.exec(text);
  const zone = prefixed?.[1] ?? "UTC";
  const pattern = (prefixed?.[2] ?? text).trim();
  if (!isValidZone(zone)) {
    return { ok: false, error: `invalid timezone "${zone}" in cron` };
  }
  const syntaxError = robfigSyntaxError(pattern);
  if (syntaxError) return { ok: false, error: syntaxError };
  try {
    const cron = new Cron(pattern, {
      timezone: zone,
      mode: "5-part",
      paused: true,
    });
    const everyHour = new CronPattern(pattern, zone, { mode: "5-part" }).hour
      .every((bit) => bit === 1);
    return {
      ok: true,
      spec: { zone, next: nextFiring(cron, zone, everyHour) },
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, error: `invalid cron expression "${text}": ${reason}` };
  }
}

function nextFiring(
  cron: Cron,
  zone: string,
  everyHour: boolean,
): (afterMs: number) => number | undefined {
  return (afterMs) => {
    let from = new Date(afterMs);
    for (let i = 0; i < MAX_SKIPPED_CANDIDATES; i++) {
      const candidate = cron.nextRun(from);
      if (!candidate) return undefined;
      const inGap = !cron.match(candidate);
      const repeated = !everyHour && isRepeatedLocalMinute(candidate, zone);
      if (!inGap && !repeated) return candidate.getTime();
      from = candidate;
    }
    return undefined;
  };
}

// Every DST shift in the tz database is 30 min, 1 h or 2 h long.
const SHIFTS_MS = [30 * 60_000, 60 * 60_000, 120 * 60_000];

function isRepeatedLocalMinute(instant: Date, zone: string): boolean {
  const key = localMinuteKey(instant.getTime(), zone);
  return SHIFTS_MS.some((shift) =>
    localMinuteKey(instant.getTime() - shift, zone) === key
  );
}

function robfigSyntaxError(pattern: string): string | undefined {
  if (pattern.startsWith("@")) {
    return DESCRIPTORS.has(pattern.toLowerCase())
      ? undefined
      : `invalid cron expression "${pattern}": unsupported descriptor`;
  }
  const fields = pattern.split(/\s+/);
  if (fields.length !== 5) {
    return `invalid cron expression "${pattern}": expected exactly 5 fields, found ${fields.length}`;
  }
  const [, , dayOfMonth = "", , dayOfWeek = ""] = fields;
  if (
    !ROBFIG_DAY_OF_MONTH.test(dayOfMonth) ||
    !ROBFIG_DAY_OF_WEEK.test(dayOfWeek)
  ) {
    return `invalid cron expression "${pattern}": unsupported day syntax`;
  }
  return undefined;
}

// Building a DateTimeFormat loads the zone's rules: every schedule write
// checks its zone, so the ones found are remembered (only so many).
const validZones = new Set<string>();
const MAX_REMEMBERED_ZONES = 1_000;

function isValidZone(zone: string): boolean {
  if (validZones.has(zone)) return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
  } catch {
    return false;
  }
  if (validZones.size >= MAX_REMEMBERED_ZONES) validZones.clear();
  validZones.add(zone);
  return true;
}
