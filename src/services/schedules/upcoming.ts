import type { ServiceContext } from "../../context.ts";
import {
  mergeUpcoming,
  type UpcomingOccurrence,
  upcomingOccurrences,
  upcomingSends,
} from "../../domain/schedules/upcoming.ts";
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
export async function upcomingFor({ ctx, query }: {
  ctx: ServiceContext;
  query: { userId: string; days: number };
}): Promise<UpcomingOccurrence[]> {
  const now = ctx.now();
  const until = now + query.days * DAY;
  const [stored, catalogue, running, pending] = await Promise.all([
    readStoredPreferences(ctx.db, query.userId),
    ctx.catalogue(),
    readSchedulerRunning(ctx.db),
    pendingForUser(ctx.db, { userId: query.userId, until }),
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
      timezone: prefs?.timezone ?? ctx.config.defaultTimezone,
      critical,
      typePush: (type) =>
        (catalogue.get(type)?.channels.push ?? "off") !== "off",
    },
  );
  return mergeUpcoming(recurring, oneOff);
}
