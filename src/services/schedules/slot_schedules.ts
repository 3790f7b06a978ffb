import type { ServiceContext } from "../../context.ts";
import {
  slotOfScheduleId,
  slotSchedule,
  slotScheduleId,
} from "../../domain/schedules/slot_plan.ts";
import {
  forgetHeldQuery,
  heldSlotsQuery,
  recordSlotHeldQuery,
} from "../../store/schedules/schedule_ledger.ts";
import { SchedulerError } from "../../ports/scheduler.ts";
import {
  dropSlotLease,
  leaseSlot,
  occupiedSlots,
  releaseInDoubt,
  releaseSlotIf,
  slotsInDoubt,
} from "../../store/schedules/slot_store.ts";
import { pauseTracker } from "./pause_tracker.ts";

export interface SlotSync {
  created: string[];
  deleted: string[];
}

/** A holder that dies keeps a slot's lease this long at most. */
const SLOT_LEASE_MS = 30_000;
/** Rounds one holder makes while members keep joining and leaving. */
const MAX_ROUNDS = 16;
/** Slots failing on QStash in a row that end a sweep early. */
const GIVE_UP_AFTER = 3;

/**
 * Which of `slots` need QStash to change: those with members but no
 * schedule, those with a schedule but no members, and those in doubt (a
 * holder failed between QStash and the ledger). Read after the members
 * were written; a slot that looks right needs nothing, because a holder
 * still at work re-checks before it lets go (see syncSlots).
 */
export async function slotsOutOfStep({ ctx, slots }: {
  ctx: ServiceContext;
  slots: readonly string[];
}): Promise<string[]> {
  if (slots.length === 0) return [];
  const [occupied, held, doubted] = await Promise.all([
    occupiedSlots(ctx.db, slots),
    heldSlotsQuery(ctx.db, slots.map(slotScheduleId)),
    slotsInDoubt(ctx.db, ctx.now(), slots),
  ]);
  const heldSlots = new Set(held.map((h) => slotOfScheduleId(h.id)));
  const doubt = new Set(doubted);
  return slots.filter((slot) =>
    doubt.has(slot) || occupied.has(slot) !== heldSlots.has(slot)
  );
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
 *
 * A holder that fails, or vanishes, between a QStash call and its ledger
 * write leaves the ledger unsure of what QStash holds (a create QStash made
 * but Herald never recorded would outlive the slot's last member), so it
 * gives the lease back in doubt, or lets it run out; the next holder then
 * makes the call the members ask for whatever the ledger says (a create
 * overwrites, a delete of nothing is done).
 */
export async function syncSlots({ ctx, slots }: {
  ctx: ServiceContext;
  slots: Iterable<string>;
}): Promise<SlotSync> {
  const done: SlotSync = { created: [], deleted: [] };
  for (const slot of [...new Set(slots)].sort()) {
    await syncSlot(ctx, slot, done);
  }
  return done;
}

async function syncSlot(
  ctx: ServiceContext,
  slot: string,
  done: SlotSync,
): Promise<void> {
  const leaseId = crypto.randomUUID();
  const now = ctx.now();
  const lease = await leaseSlot(ctx.db, {
    slot,
    leaseId,
    now,
    leaseMs: SLOT_LEASE_MS,
  });
  if (!lease) return;
  try {
    await holdUntilSettled(ctx, {
      slot,
      leaseId,
      inDoubt: lease.inDoubt,
      done,
    });
  } catch (error) {
    await releaseInDoubt(ctx.db, slot, leaseId);
    throw error;
  }
}

async function holdUntilSettled(
  ctx: ServiceContext,
  held: {
    slot: string;
    leaseId: string;
    inDoubt: boolean;
    done: SlotSync;
  },
): Promise<void> {
  const { slot, leaseId, inDoubt, done } = held;
  const id = slotScheduleId(slot);
  let doubt = inDoubt;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const [occupied, held] = await Promise.all([
      occupiedSlots(ctx.db, [slot]),
      heldSlotsQuery(ctx.db, [id]),
    ]);
    const wanted = occupied.has(slot);
    if (wanted && (doubt || held.length === 0)) {
      const spec = slotSchedule(slot, ctx.config.callbackUrl);
      await ctx.scheduler.upsertSchedule(spec);
      // Made while the scheduler is stopped: paused, as every other is.
      const paused = await pauseTracker({ ctx }).afterUpsert(id);
      await recordSlotHeldQuery(ctx.db, {
        schedule: spec,
        slot,
        now: ctx.now(),
        paused,
      });
      done.created.push(id);
      ctx.log.info("schedule.created", { schedule: id, reason: "slot" });
    } else if (!wanted && (doubt || held.length > 0)) {
      await ctx.scheduler.deleteSchedule(id);
      await forgetHeldQuery(ctx.db, id);
      done.deleted.push(id);
      ctx.log.info("schedule.deleted", { schedule: id, reason: "slot" });
    }
    doubt = false;
    if (await releaseSlotIf(ctx.db, slot, leaseId, wanted)) return;
  }
  // Still changing under us: let go; the maintenance sweep finishes it.
  await dropSlotLease(ctx.db, slot, leaseId);
}

/**
 * The maintenance sweep's part for slots: every slot whose schedule and
 * members disagree, or that is in doubt (a sync that failed on QStash, a
 * holder that died), is synced again — each on its own, so one slot QStash
 * keeps refusing does not hold back the others. Three refusals in a row
 * end the sweep (QStash is down for everyone); the next one goes on.
 */
export async function sweepSlots(
  { ctx }: { ctx: ServiceContext },
): Promise<SlotSync> {
  const [occupied, held, doubted] = await Promise.all([
    occupiedSlots(ctx.db),
    heldSlotsQuery(ctx.db, []),
    slotsInDoubt(ctx.db, ctx.now()),
  ]);
  const heldSlots = new Set(
    held.map((h) => slotOfScheduleId(h.id)).filter((s) => s !== null),
  );
  const out = new Set([
    ...[...occupied].filter((s) => !heldSlots.has(s)),
    ...[...heldSlots].filter((s) => !occupied.has(s)),
    ...doubted,
  ]);
  const done: SlotSync = { created: [], deleted: [] };
  let refusedInARow = 0;
  let lastError: unknown = null;
  for (const slot of [...out].sort()) {
    try {
      await syncSlot(ctx, slot, done);
      refusedInARow = 0;
    } catch (error) {
      if (!(error instanceof SchedulerError)) throw error;
      lastError = error;
      if (++refusedInARow === GIVE_UP_AFTER) break;
    }
  }
  // Still reported, so maintenance logs that the sweep did not finish.
  if (lastError !== null) throw lastError;
  return done;
}
