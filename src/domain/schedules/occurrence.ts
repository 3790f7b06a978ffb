import type { QuietHours } from "../preferences/preferences.ts";
import { addDays, localParts, zonedInstant } from "../time/zoned_time.ts";

/** One firing of a user's schedule, named by its local date and time. */
export interface Occurrence {
  userId: string;
  type: string;
  localDate: string;
  localTime: string;
}

/**
 * The key that makes an occurrence exactly-once however QStash delivers it
 * (retries, duplicates, a fall-back hour firing twice): user, type, local
 * date and time — not the message id, which differs between those.
 */
export function occurrenceKey(o: Occurrence): string {
  return `occ:${o.userId}:${o.type}:${o.localDate}T${o.localTime}`;
}

/**
 * Which occurrence a delivery at `now` belongs to: the latest local
 * `localTime` at or before now. A retry hours later still names the same
 * day's occurrence; QStash's clock skew of a few seconds early is tolerated.
 */
export function occurrenceAt(
  now: number,
  of: { userId: string; type: string; localTime: string; timeZone: string },
): Occurrence {
  const { userId, type, localTime, timeZone } = of;
  const early = 5 * 60_000;
  const today = localParts(now + early, timeZone);
  const localDate = today.time >= localTime
    ? today.date
    : addDays(today.date, -1);
  return { userId, type, localDate, localTime };
}

export function inQuietHours(localTime: string, quiet: QuietHours): boolean {
  return quiet.start < quiet.end
    ? localTime >= quiet.start && localTime < quiet.end
    : localTime >= quiet.start || localTime < quiet.end;
}

/**
 * When the quiet period that contains an occurrence ends, as an instant. A
 * period that wraps midnight and began that evening ends the next morning.
 */
export function quietHoursEnd(
  o: Pick<Occurrence, "localDate" | "localTime">,
  quiet: QuietHours,
  timeZone: string,
): number {
  const wraps = quiet.start > quiet.end;
  const endDate = wraps && o.localTime >= quiet.start
    ? addDays(o.localDate, 1)
    : o.localDate;
  return zonedInstant(endDate, quiet.end, timeZone);
}
