import { decodeBase64Url, encodeBase64Url } from "../codecs/base64url.ts";
import { isLocalTime } from "../time/local_time.ts";
import type { Preferences } from "../preferences/preferences.ts";
import { wantedTypes } from "./schedule_plan.ts";
import { type Weekday, weekdayOf } from "../time/weekday.ts";
import { addDays, localParts, zonedInstant } from "../time/zoned_time.ts";

/**
 * The shared placement: one QStash schedule per minute of the UTC day that
 * anybody's next occurrence falls on, whatever their zone. A user's type and
 * local time is a *member* of the slot its next occurrence falls in; the
 * slot fires every day, and a firing delivers to the members for whom that
 * instant is an occurrence (their local time, on one of their days), then
 * moves each member whose next occurrence falls in another slot — which
 * happens only when their zone changes its offset (DST) or its rules.
 *
 * Why UTC minutes and not (zone, local time) pairs: every UTC offset in use
 * is a whole number of quarter hours, so local times on a quarter-hour grid
 * need at most 96 slots for the whole world, and no more than 1,440 in any
 * case (one per minute), however many users and zones there are. Pairs of
 * (zone rules, local time) grow with the zones in use: see
 * bench/slot_count.ts for what each choice costs a realistic population.
 *
 * DST stays exact per member because the firing asks, per member, whether
 * its instant is an occurrence (`occursAt`): a time inside a spring-forward
 * gap occurs once, at the instant the gap maps it to (02:30 → 03:30), and a
 * time repeated by a fall-back occurs once, at the first of its two
 * instants — the same resolution the per-user placement's twins give.
 */
export interface Membership {
  userId: string;
  type: string;
  /** "HH:MM" in the user's zone. */
  localTime: string;
  /** The UTC minute of the member's next occurrence: "HHMM". */
  slot: string;
}

const SLOT_SCHEDULE_PREFIX = "herald.s.";
const SLOT_SCHEDULE_ID = /^herald\.s\.(\d\d)(\d\d)$/;
const MEMBERSHIP_ID =
  /^herald\.m\.([A-Za-z0-9_-]+)\.([A-Za-z][A-Za-z0-9]*)\.(\d\d)(\d\d)$/;
const MINUTE = 60_000;
const DAY = 86_400_000;

/** The slot an instant falls in: its UTC hour and minute, "HHMM". */
export function slotAt(instant: number): string {
  const d = new Date(instant);
  return `${String(d.getUTCHours()).padStart(2, "0")}${
    String(d.getUTCMinutes()).padStart(2, "0")
  }`;
}

/** The QStash schedule id of a slot. */
export function slotScheduleId(slot: string): string {
  return `${SLOT_SCHEDULE_PREFIX}${slot}`;
}

/** The slot a schedule id names, or null for any other id. */
export function slotOfScheduleId(id: string): string | null {
  const match = SLOT_SCHEDULE_ID.exec(id);
  if (!match) return null;
  const slot = `${match[1]}${match[2]}`;
  return isLocalTime(`${match[1]}:${match[2]}`) ? slot : null;
}

/** The schedule of a slot: every day at its UTC minute. */
export function slotSchedule(slot: string, destination: string) {
  const hour = Number(slot.slice(0, 2));
  const minute = Number(slot.slice(2, 4));
  return {
    id: slotScheduleId(slot),
    cron: `CRON_TZ=UTC ${minute} ${hour} * * *`,
    destination,
    body: JSON.stringify({ kind: "slot", slot }),
  };
}

/**
 * The instant a slot fired, from when QStash made its message (a little
 * after the minute, never before it): the slot's minute on that UTC day, or
 * the day before when that is still ahead.
 */
export function slotFiring(slot: string, createdAt: number): number {
  const day = Math.floor(createdAt / DAY) * DAY;
  const minute = (Number(slot.slice(0, 2)) * 60 + Number(slot.slice(2, 4))) *
    MINUTE;
  const sameDay = day + minute;
  return sameDay <= createdAt + MINUTE ? sameDay : sameDay - DAY;
}

/**
 * Whether `instant` is an occurrence of `localTime` in `timeZone` on one of
 * `days`: the instant the local time resolves to on that local date (gap
 * and overlap rules in zonedInstant) is this one, to the minute.
 */
export function occursAt(
  instant: number,
  localTime: string,
  timeZone: string,
  days: readonly Weekday[],
): { localDate: string; weekday: Weekday } | null {
  const minute = Math.floor(instant / MINUTE) * MINUTE;
  const local = localParts(minute, timeZone);
  if (!days.includes(local.weekday)) return null;
  return zonedInstant(local.date, localTime, timeZone) === minute
    ? { localDate: local.date, weekday: local.weekday }
    : null;
}

/**
 * The first occurrence of `localTime` strictly after `after`, on one of
 * `days`; null when there are no days. Looks a week and a day ahead, which
 * covers any day set.
 */
export function nextOccurrence(
  after: number,
  localTime: string,
  timeZone: string,
  days: readonly Weekday[],
): number | null {
  const today = localParts(after, timeZone).date;
  for (let i = -1; i <= 8; i++) {
    const date = addDays(today, i);
    // A local time always resolves on its own date (a gap moves it later
    // that day), so the date says the weekday without asking the zone.
    if (!days.includes(weekdayOf(date))) continue;
    const at = zonedInstant(date, localTime, timeZone);
    if (at > after) return at;
  }
  return null;
}

/**
 * nextOccurrence() remembered: a restart plans every member of every user,
 * and most of them share a zone, a time and days. An answer worked out at
 * `from` holds for any moment from then until the occurrence it found.
 */
const known = new Map<string, { from: number; next: number | null }>();
const KNOWN_MAX = 50_000;

function nextOccurrenceOf(
  now: number,
  localTime: string,
  timeZone: string,
  days: readonly Weekday[],
): number | null {
  const key = `${timeZone}|${localTime}|${days.join(",")}`;
  const hit = known.get(key);
  if (hit && hit.from <= now && (hit.next === null || now < hit.next)) {
    return hit.next;
  }
  const next = nextOccurrence(now, localTime, timeZone, days);
  if (known.size >= KNOWN_MAX) known.clear();
  known.set(key, { from: now, next });
  return next;
}

/**
 * Which slot each of a user's enabled types and times belongs in at `now`:
 * the one its next occurrence falls in. Only critical types when
 * notifications are off.
 */
export function planMemberships(
  userId: string,
  prefs: Preferences,
  now: number,
  critical?: ReadonlySet<string>,
): Membership[] {
  const out: Membership[] = [];
  for (const [type, pref] of wantedTypes(prefs, critical)) {
    for (const localTime of new Set(pref.times)) {
      const next = nextOccurrenceOf(now, localTime, prefs.timezone, pref.days);
      if (next !== null) {
        out.push({ userId, type, localTime, slot: slotAt(next) });
      }
    }
  }
  return out.sort(byKey);
}

/** One member's key: user, type and local time. */
export function membershipKey(
  m: Pick<Membership, "userId" | "type" | "localTime">,
): string {
  return `${m.userId}\u0000${m.type}\u0000${m.localTime}`;
}

function byKey(a: Membership, b: Membership): number {
  const x = membershipKey(a);
  const y = membershipKey(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * How a member is named to the outside (status, reconcile outcomes): like a
 * per-user schedule id, under its own prefix, so one user's jobs read the
 * same in both placements.
 */
export function membershipId(
  m: Pick<Membership, "userId" | "type" | "localTime">,
): string {
  return `herald.m.${encodeBase64Url(m.userId)}.${m.type}.${
    m.localTime.replace(":", "")
  }`;
}

/** The inverse of membershipId, or null for any other id. */
export function membershipOwner(
  id: string,
): { userId: string; type: string; localTime: string } | null {
  const match = MEMBERSHIP_ID.exec(id);
  if (!match) return null;
  const [, encoded = "", type = "", hour = "", minute = ""] = match;
  const userId = decodeBase64Url(encoded);
  const localTime = `${hour}:${minute}`;
  if (!userId || !isLocalTime(localTime)) return null;
  return { userId, type, localTime };
}
