import { hourAndMinute, isLocalTime } from "../time/local_time.ts";
import { decodeBase64Url, encodeBase64Url } from "../codecs/base64url.ts";
import type {
  Preferences,
  TypePreference,
} from "../preferences/preferences.ts";
import { nextGapFor } from "../time/dst_gap.ts";
import {
  cronDayNumber,
  type Weekday,
  weekdayOf,
  WEEKDAYS,
} from "../time/weekday.ts";

/** A QStash schedule Herald wants to exist, with what it was derived from. */
export interface DesiredSchedule {
  id: string;
  userId: string;
  type: string;
  /** "HH:MM" in the user's zone. */
  localTime: string;
  cron: string;
  destination: string;
  body: string;
}

export interface PlanOptions {
  /** The webhook URL QStash calls when a schedule fires. */
  destination: string;
  /** Types users cannot switch off: planned even while the user is off. */
  critical?: ReadonlySet<string>;
  /** Planning time, for DST gap twins (see below); defaults to the clock. */
  now?: number;
}

/**
 * How one user's preferences become schedules. Reconciliation only needs
 * desired schedules to diff against held ones, so a second placement — shared
 * time-slot schedules, one per (zone, local time) fanning out to its members —
 * can replace planUserSchedules without changing anything above it.
 */
export type SchedulePlacement = (
  userId: string,
  prefs: Preferences,
  opts: PlanOptions,
) => DesiredSchedule[];

// "herald." marks schedules Herald owns (system jobs can use another kind);
// "u." is this placement, one schedule per user, type and time.
const USER_SCHEDULE_PREFIX = "herald.u.";
const USER_SCHEDULE_ID =
  /^herald\.u\.([A-Za-z0-9_-]+)\.([A-Za-z][A-Za-z0-9]*)\.(\d\d)(\d\d)(?:\.dst)?$/;
/** Suffix of the one-date twin that covers a slot's DST gap day. */
const GAP_TWIN_SUFFIX = ".dst";

/**
 * A deterministic id in QStash's id alphabet [A-Za-z0-9-_.], so reconciling
 * can upsert and delete by id. User ids may be emails or any Unicode text, so
 * they are base64url-encoded; the dots stay unambiguous separators.
 */
export function scheduleIdFor(
  userId: string,
  type: string,
  localTime: string,
): string {
  // An empty id would not decode to a user, and unpaired surrogates would not
  // survive UTF-8: both would break the round trip through scheduleOwner.
  if (userId === "" || !userId.isWellFormed()) {
    throw new RangeError(
      `User id ${JSON.stringify(userId)} cannot name a schedule`,
    );
  }
  if (!isLocalTime(localTime)) {
    throw new RangeError(`Local time "${localTime}" is not HH:MM`);
  }
  return `${USER_SCHEDULE_PREFIX}${encodeBase64Url(userId)}.${type}.${
    localTime.replace(":", "")
  }`;
}

/**
 * The inverse of scheduleIdFor, or null for any id Herald did not make this
 * way — so reconciling one user never touches anyone else's schedules, nor
 * schedules that belong to other systems sharing the QStash account.
 */
export function scheduleOwner(
  id: string,
): { userId: string; type: string; localTime: string } | null {
  const match = USER_SCHEDULE_ID.exec(id);
  if (!match) return null;
  const [, encodedUser = "", type = "", hour = "", minute = ""] = match;
  const userId = decodeBase64Url(encodedUser);
  const localTime = `${hour}:${minute}`;
  if (userId === null || userId === "" || !isLocalTime(localTime)) return null;
  return { userId, type, localTime };
}

/**
 * Whether a schedule id names the one-date twin of a slot's DST gap day: it
 * fires once, so the user's schedules are planned again after it has.
 */
export function isGapTwinId(id: string): boolean {
  return id.endsWith(GAP_TWIN_SUFFIX) && scheduleOwner(id) !== null;
}

/** Day-of-week field: "*" for every day, else cron numbers (sun=0) ascending. */
export function cronDays(days: readonly Weekday[]): string {
  const unique = new Set(days);
  if (WEEKDAYS.every((day) => unique.has(day))) return "*";
  return [...unique].map(cronDayNumber).sort((a, b) => a - b).join(",");
}

/**
 * QStash evaluates CRON_TZ like robfig/cron, following the zone's daylight
 * saving rules, so the same local time stays right all year.
 */
function cronFor(
  timezone: string,
  localTime: string,
  days: readonly Weekday[],
): string {
  const { hour, minute } = hourAndMinute(localTime);
  return `CRON_TZ=${timezone} ${minute} ${hour} * * ${cronDays(days)}`;
}

/**
 * The payload QStash sends back when the schedule fires. It names only what
 * the schedule's id already names, deliberately not the timezone or a
 * preferences version: the delivery handler reads current preferences, and an
 * unrelated change must not rewrite every schedule the user has.
 */
function bodyFor(
  userId: string,
  type: string,
  localTime: string,
): string {
  return JSON.stringify({ kind: "user-schedule", userId, type, localTime });
}

/**
 * QStash does not fire a local time that falls inside a spring-forward gap
 * (robfig/cron semantics), so on that one date the occurrence would be lost.
 * The twin is a schedule pinned to that date (day and month fields) at the
 * first wall time after the gap, with the SAME body: delivery derives the
 * same occurrence key, so even a QStash that did fire the original could
 * not double it. Re-planning after the date moves the twin to next year's.
 */
function gapTwin(
  slot: DesiredSchedule,
  timezone: string,
  days: readonly Weekday[],
  now: number,
): DesiredSchedule | null {
  const gap = nextGapFor(timezone, slot.localTime, now);
  if (!gap) return null;
  const [, m, d] = gap.date.split("-").map(Number);
  if (!days.includes(weekdayOf(gap.date))) return null;
  const { hour, minute } = hourAndMinute(gap.shiftedTime);
  return {
    ...slot,
    id: slot.id + GAP_TWIN_SUFFIX,
    cron: `CRON_TZ=${timezone} ${minute} ${hour} ${d} ${m} *`,
  };
}

/**
 * The types that fire for a user: each one on, while notifications are on;
 * the critical ones always (users cannot switch them off).
 */
export function wantedTypes(
  prefs: Preferences,
  critical: ReadonlySet<string> = new Set(),
): [string, TypePreference][] {
  return Object.entries(prefs.types).filter(([id, pref]) =>
    critical.has(id) || (prefs.enabled && pref.enabled)
  );
}

function byId(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * One schedule per enabled type and local time; only critical types when
 * the user has switched notifications off. Sorted by id.
 */
export function planUserSchedules(
  userId: string,
  prefs: Preferences,
  opts: PlanOptions,
): DesiredSchedule[] {
  const schedules: DesiredSchedule[] = [];
  for (const [type, pref] of wantedTypes(prefs, opts.critical)) {
    // No days means it never fires; validation forbids it, but an empty cron
    // field would be worse than no schedule.
    if (pref.days.length === 0) continue;
    for (const localTime of new Set(pref.times)) {
      const slot = {
        id: scheduleIdFor(userId, type, localTime),
        userId,
        type,
        localTime,
        cron: cronFor(prefs.timezone, localTime, pref.days),
        destination: opts.destination,
        body: bodyFor(userId, type, localTime),
      };
      schedules.push(slot);
      const twin = gapTwin(
        slot,
        prefs.timezone,
        pref.days,
        opts.now ?? Date.now(),
      );
      if (twin) schedules.push(twin);
    }
  }
  return schedules.sort(byId);
}
