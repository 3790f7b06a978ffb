import type { ServiceContext } from "../../context.ts";
import { nextRunAt } from "../../domain/jobs/next_run.ts";
import { slotAt, slotOfScheduleId } from "../../domain/schedules/slot_plan.ts";
import { readSchedulerRunning } from "../../store/control/scheduler_state_store.ts";
import {
  heldSlotsQuery,
  userScheduleTimings,
} from "../../store/schedules/schedule_ledger.ts";
import { membersBySlot } from "../../store/schedules/slot_store.ts";

export interface SlotLoad {
  placement: "slots" | "per-user";
  running: boolean;
  /** Busy UTC minutes only ("HHMM"), in order. */
  slots: { slot: string; members: number; paused: boolean }[];
  checkedAt: string;
}

/**
 * How busy each UTC minute of the day is, from the ledger and the slot
 * members (never from QStash): under shared slots, each slot's members and
 * whether its schedule is paused; per user, the users' schedules by the
 * minute of their next run (one read of every per-user ledger row).
 */
export async function slotLoad(
  { ctx }: { ctx: ServiceContext },
): Promise<SlotLoad> {
  const placement = ctx.config.schedulePlacement;
  const now = ctx.now();
  const [running, slots] = await Promise.all([
    readSchedulerRunning(ctx.db),
    placement === "slots" ? sharedSlots(ctx) : perUserSlots(ctx, now),
  ]);
  return {
    placement,
    running,
    slots: slots.map((s) => ({ ...s, paused: s.paused || !running }))
      .sort((a, b) => a.slot.localeCompare(b.slot)),
    checkedAt: new Date(now).toISOString(),
  };
}

async function sharedSlots(ctx: ServiceContext) {
  const [members, held] = await Promise.all([
    membersBySlot(ctx.db),
    heldSlotsQuery(ctx.db, []),
  ]);
  const paused = new Set(
    held.filter((h) => h.paused).map((h) => slotOfScheduleId(h.id)),
  );
  return members.map((m) => ({ ...m, paused: paused.has(m.slot) }));
}

async function perUserSlots(ctx: ServiceContext, now: number) {
  const bySlot = new Map<string, { members: number; paused: number }>();
  for (const row of await userScheduleTimings(ctx.db)) {
    const next = nextRunAt(row.cron, now);
    if (next === null) continue;
    const slot = slotAt(next);
    const load = bySlot.get(slot) ?? { members: 0, paused: 0 };
    load.members++;
    if (row.paused) load.paused++;
    bySlot.set(slot, load);
  }
  return [...bySlot].map(([slot, load]) => ({
    slot,
    members: load.members,
    paused: load.paused === load.members,
  }));
}
