import {
  type UpcomingOccurrence,
  upcomingOccurrences,
} from "../../domain/schedules/upcoming.ts";
import type { AppDeps } from "../../deps.ts";
import { readSchedulerRunning } from "../../store/control/scheduler_state_store.ts";
import { readStoredPreferences } from "../../store/preferences/preferences_store.ts";
import {
  criticalTypes,
  decodeStoredPreferences,
} from "./stored_preferences.ts";

const DAY = 86_400_000;

/**
 * A user's next `days` days of occurrences. Nothing for a user who never
 * saved (nothing is scheduled until a first save), nor while the scheduler
 * is stopped (every schedule is paused); switched-off types are left out
 * as the planners leave them out.
 */
export async function upcomingFor(
  deps: Pick<AppDeps, "db" | "catalogue" | "now">,
  query: { userId: string; days: number },
): Promise<UpcomingOccurrence[]> {
  const [stored, catalogue, running] = await Promise.all([
    readStoredPreferences(deps.db, query.userId),
    deps.catalogue(),
    readSchedulerRunning(deps.db),
  ]);
  if (!stored || !running) return [];
  const now = deps.now();
  return upcomingOccurrences(decodeStoredPreferences(stored.data, catalogue), {
    from: now,
    until: now + query.days * DAY,
    critical: criticalTypes(catalogue),
  });
}
