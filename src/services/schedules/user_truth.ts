import type { HeldWithPause } from "../../domain/schedules/drift.ts";
import type { DesiredSchedule } from "../../domain/schedules/schedule_plan.ts";
import {
  slotSchedule,
  slotScheduleId,
} from "../../domain/schedules/slot_plan.ts";
import { planUser } from "./user_plan.ts";
import type { AppDeps } from "../../deps.ts";
import { readStoredPreferences } from "../../store/preferences/preferences_store.ts";
import { heldSchedulesOf } from "../../store/schedules/schedule_ledger.ts";
import {
  membersOfUserQuery,
  type StoredMember,
} from "../../store/schedules/slot_store.ts";
import { decodeStoredPreferences } from "./stored_preferences.ts";

type Deps = Pick<
  AppDeps,
  "db" | "scheduler" | "now" | "config" | "catalogue"
>;

export interface UserTruth {
  /** False when the user never saved preferences. */
  known: boolean;
  /** Per-user schedules wanted (none under the shared placement). */
  desired: DesiredSchedule[];
  /** What QStash itself answers for every id the ledger or the plan names. */
  held: HeldWithPause[];
  /** Slot members wanted (none under per-user placement), with their ids. */
  plannedMembers: { id: string; slot: string }[];
  storedMembers: StoredMember[];
  /** The schedules of the slots those members need. */
  desiredSlots: ReturnType<typeof slotSchedule>[];
  /** What QStash answers for each of those slots' ids. */
  heldSlots: HeldWithPause[];
}

/**
 * One user's schedules as QStash really holds them, without listing the
 * whole account: a get for each id the ledger records or the plan wants
 * (sequential, like every management call), and for each slot the user's
 * members are or should be in. That finds schedules deleted or changed
 * behind Herald's back; a stray id neither names is left to restart, which
 * reads the full list.
 */
export async function userTruth(
  deps: Deps,
  userId: string,
): Promise<UserTruth> {
  const [stored, ledger, storedMembers, catalogue] = await Promise.all([
    readStoredPreferences(deps.db, userId),
    heldSchedulesOf(deps.db, userId),
    membersOfUserQuery(deps.db, userId),
    deps.catalogue(),
  ]);
  const plan = stored
    ? planUser(
      deps,
      {
        userId,
        prefs: decodeStoredPreferences(stored.data, catalogue),
      },
      catalogue,
      deps.now(),
    )
    : { schedules: [], members: [] };
  const desired = plan.schedules;
  const plannedMembers = plan.members;
  const ids = [...new Set([...ledger, ...desired].map((s) => s.id))].sort();
  const slots = [
    ...new Set(
      [...plannedMembers, ...storedMembers].map((m) => m.slot),
    ),
  ].sort();
  const held = await heldOf(deps, ids);
  const heldSlots = await heldOf(deps, slots.map(slotScheduleId));
  return {
    known: stored !== null,
    desired,
    held,
    plannedMembers,
    storedMembers,
    desiredSlots: [...new Set(plannedMembers.map((m) => m.slot))].sort()
      .map((slot) => slotSchedule(slot, deps.config.callbackUrl)),
    heldSlots,
  };
}

async function heldOf(deps: Deps, ids: readonly string[]) {
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
  return held;
}
