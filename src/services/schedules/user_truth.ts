import type { ServiceContext } from "../../context.ts";
import type { HeldWithPause } from "../../domain/schedules/drift.ts";
import type { DesiredSchedule } from "../../domain/schedules/schedule_plan.ts";
import {
  slotSchedule,
  slotScheduleId,
} from "../../domain/schedules/slot_plan.ts";
import { planUser } from "./user_plan.ts";
import { readStoredPreferences } from "../../store/preferences/preferences_store.ts";
import { heldSchedulesOf } from "../../store/schedules/schedule_ledger.ts";
import {
  membersOfUserQuery,
  type StoredMember,
} from "../../store/schedules/slot_store.ts";
import { decodeStoredPreferences } from "./stored_preferences.ts";

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
export async function userTruth({ ctx, userId }: {
  ctx: ServiceContext;
  userId: string;
}): Promise<UserTruth> {
  const [stored, ledger, storedMembers, catalogue] = await Promise.all([
    readStoredPreferences(ctx.db, userId),
    heldSchedulesOf(ctx.db, userId),
    membersOfUserQuery(ctx.db, userId),
    ctx.catalogue(),
  ]);
  const plan = stored
    ? planUser({
      ctx,
      user: {
        userId,
        prefs: decodeStoredPreferences(stored.data, catalogue),
      },
      catalogue,
      now: ctx.now(),
    })
    : { schedules: [], members: [] };
  const desired = plan.schedules;
  const plannedMembers = plan.members;
  const ids = [...new Set([...ledger, ...desired].map((s) => s.id))].sort();
  const slots = [
    ...new Set(
      [...plannedMembers, ...storedMembers].map((m) => m.slot),
    ),
  ].sort();
  const held = await heldOf(ctx, ids);
  const heldSlots = await heldOf(ctx, slots.map(slotScheduleId));
  return {
    known: stored !== null,
    desired,
    held,
    plannedMembers,
    storedMembers,
    desiredSlots: [...new Set(plannedMembers.map((m) => m.slot))].sort()
      .map((slot) => slotSchedule(slot, ctx.config.callbackUrl)),
    heldSlots,
  };
}

async function heldOf(ctx: ServiceContext, ids: readonly string[]) {
  const held: HeldWithPause[] = [];
  for (const id of ids) {
    const s = await ctx.scheduler.getSchedule(id);
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
