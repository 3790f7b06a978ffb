import type { NotificationType } from "../catalogue/catalogue.ts";
import type { Preferences, Weekday } from "../preferences/preferences.ts";
import type { Occurrence } from "../schedules/occurrence.ts";

/** An occurrence found due, with what delivering it needs. */
export interface DueOccurrence {
  occurrence: Occurrence;
  prefs: Preferences;
  type: NotificationType;
  weekday: Weekday;
  /** False for an occurrence already deferred once (it is now due). */
  deferrable: boolean;
}
