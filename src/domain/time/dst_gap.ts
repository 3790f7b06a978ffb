import { addDays, localParts, offsetAt, zonedInstant } from "./zoned_time.ts";

/**
 * Spring-forward gaps: local wall times that do not exist on one date of the
 * year (Paris on the last Sunday of March: 02:00–02:59). QStash evaluates
 * CRON_TZ like robfig/cron and does not fire a time inside the gap at all,
 * so a 02:30 reminder would silently skip that day. The planner uses this to
 * add a one-date schedule at the first wall time after the gap instead.
 */
export interface Gap {
  /** The local date the gap happens on, "YYYY-MM-DD". */
  date: string;
  /** First missing wall time, "HH:MM" (inclusive). */
  start: string;
  /** First wall time that exists again, "HH:MM" (exclusive end). */
  end: string;
}

const DAY_MS = 86_400_000;
const cache = new Map<string, Gap[]>();

/** The gaps of a zone in a calendar year (computed once per zone and year). */
export function gapsInYear(timeZone: string, year: number): Gap[] {
  const key = `${timeZone}|${year}`;
  const known = cache.get(key);
  if (known) return known;
  const gaps: Gap[] = [];
  const first = Date.UTC(year, 0, 1) - DAY_MS;
  let previous = offsetAt(first, timeZone);
  for (
    let t = first + DAY_MS;
    t <= Date.UTC(year, 11, 31) + DAY_MS;
    t += DAY_MS
  ) {
    const offset = offsetAt(t, timeZone);
    if (offset > previous) {
      gaps.push(gapAround(timeZone, {
        lo: t - DAY_MS,
        hi: t,
        before: previous,
        after: offset,
      }));
    }
    previous = offset;
  }
  const inYear = gaps.filter((g) => g.date.startsWith(`${year}-`));
  cache.set(key, inYear);
  return inYear;
}

/**
 * Narrows a transition somewhere in `[lo, hi]` (instants, ms) from offset
 * `before` to `after` down to the minute, then reads its wall-clock edges.
 */
function gapAround(
  timeZone: string,
  transition: { lo: number; hi: number; before: number; after: number },
): Gap {
  let { lo, hi } = transition;
  const { before, after } = transition;
  while (hi - lo > 60_000) {
    const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
    if (offsetAt(mid, timeZone) === before) lo = mid;
    else hi = mid;
  }
  // `hi` is the first minute on the new offset.
  const wallStart = hi + before;
  const wallEnd = hi + after;
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    date: iso(wallStart).slice(0, 10),
    start: iso(wallStart).slice(11, 16),
    end: iso(wallEnd).slice(11, 16),
  };
}

export interface GapOccurrence {
  date: string;
  /** Where the missing time lands: as far past the gap's end as it was past its start. */
  shiftedTime: string;
}

/**
 * The next date, within about a year, on which `localTime` falls inside a
 * gap in `timeZone` and whose shifted firing is still ahead of `now`; null
 * when there is none. Once today's shifted firing has passed, next year's.
 */
export function nextGapFor(
  timeZone: string,
  localTime: string,
  now: number,
): GapOccurrence | null {
  const today = localParts(now, timeZone).date;
  const year = Number(today.slice(0, 4));
  for (
    const gap of [
      ...gapsInYear(timeZone, year),
      ...gapsInYear(timeZone, year + 1),
    ]
  ) {
    if (gap.date < today || localTime < gap.start || localTime >= gap.end) {
      continue;
    }
    if (gap.date > addDays(today, 370)) break;
    const shiftedTime = shift(localTime, gap);
    if (zonedInstant(gap.date, shiftedTime, timeZone) <= now) continue;
    return { date: gap.date, shiftedTime };
  }
  return null;
}

function minutes(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

function shift(localTime: string, gap: Gap): string {
  const m = minutes(gap.end) + (minutes(localTime) - minutes(gap.start));
  return `${String(Math.floor(m / 60) % 24).padStart(2, "0")}:${
    String(m % 60).padStart(2, "0")
  }`;
}
