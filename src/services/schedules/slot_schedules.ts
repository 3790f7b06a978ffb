import {
  slotOfScheduleId,
  slotSchedule,
  slotScheduleId,
} from "../../domain/schedules/slot_plan.ts";
import type { AppDeps } from "../../deps.ts";
import {
  forgetHeldQuery,
  heldSlotsQuery,
  recordSlotHeldQuery,
} from "../../store/schedules/schedule_ledger.ts";
import {
  dropSlotLease,
  leaseSlot,
  occupiedSlots,
  releaseSlotIf,
} from "../../store/schedules/slot_store.ts";
import { pauseTracker } from "./pause_tracker.ts";

type Deps = Pick<AppDeps, "db" | "scheduler" | "log" | "now" | "config">;

export interface SlotSync {
  created: string[];
  deleted: string[];
}

/** A holder that dies keeps a slot's lease this long at most. */
const LEASE_MS = 30_000;
/** Rounds one holder makes while members keep joining and leaving. */
const MAX_ROUNDS = 16;

/**
 * Which of `slots` need QStash to change: those with members but no
 * schedule, and those with a schedule but no members. Read after the
 * members were written; a slot that looks right needs nothing, because a
 * holder still at work re-checks before it lets go (see syncSlots).
 */
export async function slotsOutOfStep(
  deps: Pick<AppDeps, "db">,
  slots: readonly string[],
): Promise<string[]> {
  if (slots.length === 0) return [];
  const [occupied, held] = await Promise.all([
    occupiedSlots(deps.db, slots),
    heldSlotsQuery(deps.db, slots.map(slotScheduleId)),
  ]);
  const heldSlots = new Set(held.map((h) => slotOfScheduleId(h.id)));
  return slots.filter((slot) => occupied.has(slot) !== heldSlots.has(slot));
}

/**
 * Makes QStash hold a slot's schedule exactly while the slot has members:
 * created when it gains its first, deleted when it loses its last. One
 * holder per slot at a time (a lease in libSQL); the holder lets go only if
 * the slot is still as it left QStash — a member who joined or left
 * meanwhile sends it round again — so concurrent writers never leave a
 * member without a schedule or a schedule without members. A slot whose
 * lease is held is left to its holder. QStash failures are thrown; the
 * maintenance sweep (sweepSlots) tries again.
 */
export async function syncSlots(
  deps: Deps,
  slots: Iterable<string>,
): Promise<SlotSync> {
  const done: SlotSync = { created: [], deleted: [] };
  for (const slot of [...new Set(slots)].sort()) {
    const leaseId = crypto.randomUUID();
    const now = deps.now();
    if (!await leaseSlot(deps.db, { slot, leaseId, now, leaseMs: LEASE_MS })) {
      continue;
    }
    try {
      await holdUntilSettled(deps, slot, leaseId, done);
    } catch (error) {
      await dropSlotLease(deps.db, slot, leaseId);
      throw error;
    }
  }
  return done;
}

async function holdUntilSettled(
  deps: Deps,
  slot: string,
  leaseId: string,
  done: SlotSync,
): Promise<void> {
  const id = slotScheduleId(slot);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const [occupied, held] = await Promise.all([
      occupiedSlots(deps.db, [slot]),
      heldSlotsQuery(deps.db, [id]),
    ]);
    const wanted = occupied.has(slot);
    if (wanted && held.length === 0) {
      const spec = slotSchedule(slot, deps.config.callbackUrl);
      await deps.scheduler.upsertSchedule(spec);
      // Made while the scheduler is stopped: paused, as every other is.
      const paused = await pauseTracker(deps).afterUpsert(id);
      await recordSlotHeldQuery(deps.db, spec, slot, deps.now(), paused);
      done.created.push(id);
      deps.log.info("schedule.created", { schedule: id, reason: "slot" });
    } else if (!wanted && held.length > 0) {
      await deps.scheduler.deleteSchedule(id);
      await forgetHeldQuery(deps.db, id);
      done.deleted.push(id);
      deps.log.info("schedule.deleted", { schedule: id, reason: "slot" });
    }
    if (await releaseSlotIf(deps.db, slot, leaseId, wanted)) return;
  }
  // Still changing under us: let go; the maintenance sweep finishes it.
  await dropSlotLease(deps.db, slot, leaseId);
}

/**
 * The maintenance sweep's part for slots: every slot whose schedule and
 * members disagree (a sync that failed on QStash, a holder that died) is
 * synced again.
 */
export async function sweepSlots(deps: Deps): Promise<SlotSync> {
  const [occupied, held] = await Promise.all([
    occupiedSlots(deps.db),
    heldSlotsQuery(deps.db, []),
  ]);
  const heldSlots = new Set(
    held.map((h) => slotOfScheduleId(h.id)).filter((s) => s !== null),
  );
  const out = [
    ...[...occupied].filter((s) => !heldSlots.has(s)),
    ...[...heldSlots].filter((s) => !occupied.has(s)),
  ];
  return await syncSlots(deps, out);
}
