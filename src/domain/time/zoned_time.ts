import type { Weekday } from "./weekday.ts";

/** A wall-clock reading in some zone. */
export interface LocalParts {
  /** "YYYY-MM-DD" */
  date: string;
  /** "HH:MM" */
  time: string;
  weekday: Weekday;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      weekday: "short",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

function fields(instant: number, timeZone: string) {
  const out: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant)) {
    out[part.type] = part.value;
  }
  return out;
}

export function localParts(instant: number, timeZone: string): LocalParts {
  const f = fields(instant, timeZone);
  return {
    date: `${f.year}-${f.month}-${f.day}`,
    time: `${f.hour}:${f.minute}`,
    weekday: (f.weekday ?? "").toLowerCase().slice(0, 3) as Weekday,
  };
}

/** Offset of `timeZone` from UTC at `instant`, in ms (Paris in summer: +2 h). */
export function offsetAt(instant: number, timeZone: string): number {
  const f = fields(instant, timeZone);
  const asUtc = Date.UTC(
    Number(f.year),
    Number(f.month) - 1,
    Number(f.day),
    Number(f.hour),
    Number(f.minute),
    Number(f.second),
  );
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant a local date and time happen in a zone. A time inside a
 * spring-forward gap does not exist: it maps to the instant the gap ends
 * plus the same distance (02:30 in a 02:00→03:00 gap → 03:30), as a person
 * moving their clock would expect. In a fall-back overlap it is the first
 * of the two instants.
 */
export function zonedInstant(
  date: string,
  time: string,
  timeZone: string,
): number {
  const [y, m, d] = date.split("-").map(Number);
  const [hh, mm] = time.split(":").map(Number);
  const wall = Date.UTC(y!, m! - 1, d!, hh!, mm!);
  // Zone offsets a day either side bracket any transition near this time.
  const before = offsetAt(wall - DAY_MS, timeZone);
  const after = offsetAt(wall + DAY_MS, timeZone);
  const matches = [wall - before, wall - after]
    .filter((t) => wallTime(t, timeZone) === wall)
    .sort((a, b) => a - b);
  // In a gap no instant reads `wall`: the earlier offset lands after the
  // gap by the same distance.
  return matches[0] ?? wall - before;
}

const DAY_MS = 86_400_000;

function wallTime(instant: number, timeZone: string): number {
  return instant + offsetAt(instant, timeZone);
}

/** "YYYY-MM-DD" plus or minus whole days (calendar arithmetic, no zone). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(Date.UTC(y!, m! - 1, d! + days)).toISOString().slice(0, 10);
}
