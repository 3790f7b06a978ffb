import type { Preferences } from "../preferences/preferences.ts";
import { weekdayOf } from "../time/weekday.ts";
import { addDays, localParts, zonedInstant } from "../time/zoned_time.ts";
import { inQuietHours, quietHoursEnd } from "./occurrence.ts";
import { sendFate } from "../delivery/send_fate.ts";
import { wantedTypes } from "./schedule_plan.ts";

/** One occurrence a user will be sent, as `GET …/upcoming` lists it. */
export interface UpcomingOccurrence {
  type: string;
  /** When it is delivered: the occurrence, or the end of quiet hours. */
  at: number;
  /** The occurrence's own name (as the notification's `data.occurrence`). */
  localDate: string;
  localTime: string;
  timezone: string;
  channels: { push: boolean };
  deferredBy: "quietHours" | null;
  /** The one-off (`deliverAt`) send it belongs to; null for a recurring one. */
  scheduledId: string | null;
}

export interface UpcomingWindow {
  /** Occurrences strictly after this instant… */
  from: number;
  /** …and at or before this one. */
  until: number;
  /** Types the user cannot switch off (planned whatever they chose). */
  critical: ReadonlySet<string>;
}

/**
 * A user's occurrences in a window, ordered by when they are delivered.
 * Built from the planners' own rules, so it cannot disagree with what
 * fires: the types they plan (`wantedTypes`), each local time resolved on
 * each of its days as both placements resolve it (`zonedInstant`, as in
 * `nextOccurrence`: a time in a spring-forward gap once, shifted; a
 * repeated time once, at its first instant), and the quiet-hours deferral
 * delivery applies.
 */
export function upcomingOccurrences(
  prefs: Preferences,
  window: UpcomingWindow,
): UpcomingOccurrence[] {
  const out: UpcomingOccurrence[] = [];
  const zone = prefs.timezone;
  // Every local date the window can touch, a day either side: a local time
  // always resolves on its own date (a gap moves it later that day), so
  // each date and time is one zonedInstant, as nextOccurrence resolves it.
  const first = localParts(window.from, zone).date;
  const span = Math.ceil((window.until - window.from) / DAY) + 2;
  const dates = Array.from(
    { length: span + 1 },
    (_, i) => addDays(first, i - 1),
  );
  for (const [type, pref] of wantedTypes(prefs, window.critical)) {
    const push = pushChosen(prefs, type, window.critical);
    const days = new Set(pref.days);
    for (const localDate of dates) {
      if (!days.has(weekdayOf(localDate))) continue;
      for (const localTime of new Set(pref.times)) {
        const at = zonedInstant(localDate, localTime, zone);
        if (at <= window.from || at > window.until) continue;
        const quiet = prefs.quietHours !== null &&
          inQuietHours(localTime, prefs.quietHours);
        out.push({
          type,
          at: quiet && prefs.quietHours
            ? quietHoursEnd({ localDate, localTime }, prefs.quietHours, zone)
            : at,
          localDate,
          localTime,
          timezone: zone,
          channels: { push },
          deferredBy: quiet ? "quietHours" : null,
          scheduledId: null,
        });
      }
    }
  }
  return out.sort(byDelivery);
}

/** One instant of a one-off send still to deliver to the user. */
export interface PendingSend {
  sendId: string;
  type: string;
  at: number;
  /** False once quiet hours deferred it (it is not deferred again). */
  quiet: boolean;
}

/**
 * A user's one-off sends still to come, as upcoming items, by the rule
 * their delivery applies (`sendFate`): a type they switched off is absent,
 * one inside their quiet hours is listed at their end. Named by the
 * instant's local date and time in the user's zone. `prefs` null: never
 * saved (delivered as sent; `timezone` is then the default zone, and
 * `typePush` the type's own push policy).
 */
export function upcomingSends(
  prefs: Preferences | null,
  sends: readonly PendingSend[],
  o: {
    timezone: string;
    critical: ReadonlySet<string>;
    typePush: (type: string) => boolean;
  },
): UpcomingOccurrence[] {
  return sends.flatMap((send): UpcomingOccurrence[] => {
    const fate = sendFate(prefs, {
      type: send.type,
      critical: o.critical.has(send.type),
      quiet: send.quiet,
      instant: send.at,
    });
    if (fate.kind === "skip") return [];
    const local = localParts(send.at, o.timezone);
    return [{
      type: send.type,
      at: fate.kind === "defer" ? fate.until : send.at,
      localDate: local.date,
      localTime: local.time,
      timezone: o.timezone,
      channels: {
        push: prefs
          ? pushChosen(prefs, send.type, o.critical)
          : o.typePush(send.type),
      },
      deferredBy: fate.kind === "defer" ? "quietHours" : null,
      scheduledId: send.sendId,
    }];
  }).sort(byDelivery);
}

/** Two delivery-ordered lists as one, in delivery order. */
export function mergeUpcoming(
  a: readonly UpcomingOccurrence[],
  b: readonly UpcomingOccurrence[],
): UpcomingOccurrence[] {
  return [...a, ...b].sort(byDelivery);
}

function byDelivery(a: UpcomingOccurrence, b: UpcomingOccurrence): number {
  return a.at - b.at || a.type.localeCompare(b.type) ||
    a.localTime.localeCompare(b.localTime);
}

const DAY = 86_400_000;

/**
 * Whether an occurrence of `type` would be pushed to this user when they
 * are offline: the type's own choice (the user's say, else the type's
 * policy), and, unless the type is critical, the user's overall switch —
 * the precedence of `pushPolicyFor` (domain/push/push_policy.ts), read off
 * resolved preferences. The one place that reads it.
 */
export function pushChosen(
  prefs: Preferences,
  type: string,
  critical: ReadonlySet<string>,
): boolean {
  const forType = prefs.types[type]?.channels.push ?? false;
  return critical.has(type) ? forType : prefs.channels.push && forType;
}
