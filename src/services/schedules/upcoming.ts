import {
  mergeUpcoming,
  type UpcomingOccurrence,
  upcomingOccurrences,
  upcomingSends,
} from "../../domain/schedules/upcoming.ts";
import type { AppDeps } from "../../deps.ts";
import { readSchedulerRunning } from "../../store/control/scheduler_state_store.ts";
import { pendingForUser } from "../../store/notifications/scheduled_store.ts";
import { readStoredPreferences } from "../../store/preferences/preferences_store.ts";
import {
  criticalTypes,
  decodeStoredPreferences,
} from "./stored_preferences.ts";

const DAY = 86_400_000;

/**
 * A user's next `days` days: their recurring occurrences and their one-off
 * (`deliverAt`) sends still to come, in one delivery order. No recurring
 * ones for a user who never saved (nothing is scheduled until a first
 * save), nor while the scheduler is stopped (every schedule is paused);
 * switched-off types are left out as the planners and delivery leave them
 * out. One-off sends are messages, not schedules: a stop does not hold
 * them.
 */
export async function upcomingFor(
  deps: Pick<AppDeps, "db" | "catalogue" | "now" | "config">,
  query: { userId: string; days: number },
): Promise<UpcomingOccurrence[]> {
  const now = deps.now();
  const until = now + query.days * DAY;
  const [stored, catalogue, running, pending] = await Promise.all([
    readStoredPreferences(deps.db, query.userId),
    deps.catalogue(),
    readSchedulerRunning(deps.db),
    pendingForUser(deps.db, { userId: query.userId, until }),
  ]);
  const critical = criticalTypes(catalogue);
  const prefs = stored ? decodeStoredPreferences(stored.data, catalogue) : null;
  const recurring = prefs && running
    ? upcomingOccurrences(prefs, { from: now, until, critical })
    : [];
  const oneOff = upcomingSends(
    prefs,
    pending.map((p) => ({ ...p, type: p.content.type })),
    {
      timezone: prefs?.timezone ?? deps.config.defaultTimezone,
      critical,
      typePush: (type) =>
        (catalogue.get(type)?.channels.push ?? "off") !== "off",
    },
  );
  return mergeUpcoming(recurring, oneOff);
}
