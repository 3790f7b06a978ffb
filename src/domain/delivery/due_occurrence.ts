import type { NotificationType } from "../catalogue/catalogue.ts";
import type {
  Preferences,
  QuietHours,
  Weekday,
} from "../preferences/preferences.ts";
import {
  inQuietHours,
  type Occurrence,
  occurrenceKey,
} from "../schedules/occurrence.ts";

/** An occurrence found due, with what delivering it needs. */
export interface DueOccurrence {
  occurrence: Occurrence;
  prefs: Preferences;
  type: NotificationType;
  weekday: Weekday;
  /** False for an occurrence already deferred once (it is now due). */
  deferrable: boolean;
}

/** A due occurrence and its place among those delivered together. */
export interface PlacedDue {
  at: number;
  due: DueOccurrence;
}

/** Which way each of the due occurrences delivered together goes. */
export interface DueRoutes<S> {
  /** Stored already (by its key): at most its fan-out is left to finish. */
  repeats: (PlacedDue & { stored: S })[];
  /** Inside the user's quiet hours: deferred to their end. */
  deferrals: (PlacedDue & { quietHours: QuietHours })[];
  /** Delivered now. */
  fresh: PlacedDue[];
}

/**
 * Sorts due occurrences by the way they go, each in the order given: a
 * repeat is known by its key among those `stored`, and neither defers nor
 * renders again; one already deferred once is due, quiet hours or not.
 */
export function routeDues<S>(
  dues: readonly DueOccurrence[],
  stored: ReadonlyMap<string, S>,
): DueRoutes<S> {
  const routes: DueRoutes<S> = { repeats: [], deferrals: [], fresh: [] };
  dues.forEach((due, at) => {
    const earlier = stored.get(occurrenceKey(due.occurrence));
    const quiet = due.prefs.quietHours;
    if (earlier !== undefined) {
      routes.repeats.push({ at, due, stored: earlier });
    } else if (
      due.deferrable && quiet && inQuietHours(due.occurrence.localTime, quiet)
    ) routes.deferrals.push({ at, due, quietHours: quiet });
    else routes.fresh.push({ at, due });
  });
  return routes;
}
