import type { HeldWithPause } from "../domain/drift.ts";
import {
  type DesiredSchedule,
  planUserSchedules,
} from "../domain/schedule_plan.ts";
import type { AppDeps } from "../deps.ts";
import { readStoredPreferences } from "../ports/preferences_store.ts";
import { heldSchedulesOf } from "../ports/schedule_ledger.ts";
import { decodeStoredPreferences } from "./stored_preferences.ts";

type Deps = Pick<AppDeps, "db" | "scheduler" | "now" | "config">;

export interface UserTruth {
  /** False when the user never saved preferences. */
  known: boolean;
  desired: DesiredSchedule[];
  /** What QStash itself answers for every id the ledger or the plan names. */
  held: HeldWithPause[];
}

/**
 * One user's schedules as QStash really holds them, without listing the
 * whole account: a get for each id the ledger records or the plan wants
 * (sequential, like every management call). That finds schedules deleted
 * or changed behind Herald's back; a stray id neither names is left to
 * restart, which reads the full list.
 */
export async function userTruth(
  deps: Deps,
  userId: string,
): Promise<UserTruth> {
  const [stored, ledger] = await Promise.all([
    readStoredPreferences(deps.db, userId),
    heldSchedulesOf(deps.db, userId),
  ]);
  const desired = stored
    ? planUserSchedules(userId, decodeStoredPreferences(stored.data), {
      destination: deps.config.callbackUrl,
      now: deps.now(),
    })
    : [];
  const ids = [...new Set([...ledger, ...desired].map((s) => s.id))].sort();
  const held: HeldWithPause[] = [];
  for (const id of ids) {
    const s = await deps.scheduler.getSchedule(id);
    if (s) {
      held.push({
        id: s.id,
        cron: s.cron,
        destination: s.destination,
        body: s.body,
        paused: s.paused,
      });
    }
  }
  return { known: stored !== null, desired, held };
}
