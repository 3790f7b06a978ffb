import type { Preferences } from "../preferences/preferences.ts";
import { inQuietHours, quietHoursEnd } from "../schedules/occurrence.ts";
import { localParts } from "../time/zoned_time.ts";

/** What becomes of one user's share of a `deliverAt` send's instant. */
export type SendFate =
  | { kind: "deliver" }
  | { kind: "skip" }
  | { kind: "defer"; until: number };

/**
 * A user's fate at an instant of a send, by their saved preferences (null:
 * never saved — delivered, as any notification is): notifications or the
 * type switched off, nothing; inside quiet hours — for an instant quiet
 * hours have not deferred already — at their end. A critical type is
 * delivered whatever they chose, and at once. Delivery (deliver_scheduled)
 * and `upcoming` both decide by this.
 */
export function sendFate(
  prefs: Preferences | null,
  at: { type: string; critical: boolean; quiet: boolean; instant: number },
): SendFate {
  if (!prefs || at.critical) return { kind: "deliver" };
  if (!prefs.enabled || prefs.types[at.type]?.enabled === false) {
    return { kind: "skip" };
  }
  const quiet = prefs.quietHours;
  if (!at.quiet || !quiet) return { kind: "deliver" };
  const local = localParts(at.instant, prefs.timezone);
  if (!inQuietHours(local.time, quiet)) return { kind: "deliver" };
  return {
    kind: "defer",
    until: quietHoursEnd(
      { localDate: local.date, localTime: local.time },
      quiet,
      prefs.timezone,
    ),
  };
}
