import type { ServiceContext } from "../../context.ts";
import {
  diffSchedules,
  isNoop,
} from "../../domain/schedules/reconcile_diff.ts";
import { type HeldWithPause, sameHeld } from "../../domain/schedules/drift.ts";
import { parseStoredJob } from "../../domain/jobs/job_definition.ts";
import { jobScheduleId } from "../../domain/jobs/job_schedule.ts";
import { chunk } from "../../domain/codecs/paging.ts";
import { listJobs } from "../../store/jobs/job_store.ts";
import {
  preferencesPage,
  usersWithPreferences,
} from "../../store/preferences/preferences_store.ts";
import {
  forgetHeld,
  forgetUnownedLedgerRows,
  heldSlotsQuery,
  ledgerOfUserRange,
  recordSlotHeldQuery,
  replaceLedgerOf,
} from "../../store/schedules/schedule_ledger.ts";
import {
  membersOfUserRange,
  occupiedSlots,
  type StoredMember,
} from "../../store/schedules/slot_store.ts";
import {
  type Membership,
  membershipKey,
  slotSchedule,
} from "../../domain/schedules/slot_plan.ts";
import type { Catalogue } from "../../domain/catalogue/catalogue.ts";
import { planUser, type UserPlan } from "../schedules/user_plan.ts";
import { syncSlots } from "../schedules/slot_schedules.ts";
import { shortId } from "../../domain/codecs/log_redaction.ts";
import { syncJobSchedule } from "../jobs/job_schedule_sync.ts";
import {
  DONE,
  type OperationSnapshot,
  type PageResult,
  type PageStep,
} from "./operation_snapshot.ts";
import { reconcileCounted } from "./operation_snapshot.ts";
import { decodeStoredPreferences } from "../schedules/stored_preferences.ts";

/**
 * Restart: every system job, then every user page by page, then whatever
 * QStash holds under Herald's prefixes that nobody wants. Each page compares
 * QStash's own list (not the ledger) with the plan, so a schedule deleted or
 * changed behind Herald's back is healed; a user whose schedules already
 * match costs no QStash call and no write (only a ledger fix if the ledger
 * itself drifted). Pages read preferences and ledger rows in one query
 * each, never one round trip per user.
 */
export const restartStep: PageStep = (ctx, snapshot, at, pageSize) => {
  switch (at.phase) {
    case "jobs":
      return restartJobs(ctx, snapshot);
    case "users":
      return restartUsers(ctx, snapshot, at.cursor, pageSize);
    case "slots":
      return restartSlots(ctx, snapshot);
    case "orphans":
      return removeOrphans(ctx, snapshot, pageSize);
    default:
      return Promise.resolve({ phase: DONE, cursor: null, counts: {} });
  }
};

export const RESTART_FIRST_PHASE = "jobs";

async function restartJobs(
  ctx: ServiceContext,
  snapshot: OperationSnapshot,
): Promise<PageResult> {
  const counts = { created: 0, updated: 0, unchanged: 0 };
  for (const row of await listJobs(ctx.db)) {
    const job = parseStoredJob(row);
    const sync = await syncJobSchedule({
      ctx,
      job,
      held: snapshot.index.jobs.get(job.id) ?? null,
    });
    counts[sync]++;
  }
  return { phase: "users", cursor: null, counts };
}

async function restartUsers(
  ctx: ServiceContext,
  snapshot: OperationSnapshot,
  after: string | null,
  pageSize: number,
): Promise<PageResult> {
  const rows = await preferencesPage(ctx.db, after, pageSize);
  const last = rows[rows.length - 1];
  if (!last) return { phase: "slots", cursor: null, counts: {} };
  const catalogue = await ctx.catalogue();
  const [ledgerRows, memberRows] = await Promise.all([
    ledgerOfUserRange(ctx.db, after, last.userId),
    membersOfUserRange(ctx.db, after, last.userId),
  ]);
  const ledger = new Map<string, HeldWithPause[]>();
  for (const row of ledgerRows) {
    if (row.userId === null) continue;
    const list = ledger.get(row.userId) ?? [];
    list.push(row);
    ledger.set(row.userId, list);
  }
  const members = new Map<string, StoredMember[]>();
  for (const m of memberRows) {
    const list = members.get(m.userId) ?? [];
    list.push(m);
    members.set(m.userId, list);
  }
  const counts = {
    users: rows.length,
    created: 0,
    updated: 0,
    deleted: 0,
    unchanged: 0,
    ledgerFixed: 0,
  };
  for (const row of rows) {
    const truth = snapshot.index.users.get(row.userId) ?? [];
    const plan = planOrSkip(ctx, row, catalogue);
    if (!plan) continue;
    const desired = plan.schedules;
    const matches = isNoop(diffSchedules(desired, truth)) &&
      truth.every((s) => s.paused === snapshot.wantPaused) &&
      sameMembers(plan.members, members.get(row.userId) ?? []);
    if (matches && row.syncStatus === "synced") {
      counts.unchanged += desired.length;
      if (!sameHeld(ledger.get(row.userId) ?? [], truth)) {
        await replaceLedgerOf(
          ctx.db,
          row.userId,
          desired.map((schedule) => ({
            schedule,
            paused: snapshot.wantPaused,
          })),
          ctx.now(),
        );
        counts.ledgerFixed++;
      }
      continue;
    }
    await reconcileCounted({
      ctx,
      userId: row.userId,
      counts,
      opts: { held: truth },
    });
  }
  return { phase: "users", cursor: last.userId, counts };
}

/**
 * What one user should have under the deployment's placement: per-user
 * schedules, or slot members (and then no per-user schedule at all). A row
 * that cannot be read is logged and left alone, not fatal to all.
 */
function planOrSkip(
  ctx: ServiceContext,
  row: { userId: string; data: string },
  catalogue: Catalogue,
): UserPlan | null {
  try {
    return planUser({
      ctx,
      user: {
        userId: row.userId,
        prefs: decodeStoredPreferences(row.data, catalogue),
      },
      catalogue,
      now: ctx.now(),
    });
  } catch {
    ctx.log.warn("restart.skipped", {
      user: shortId(row.userId),
      reason: "unreadable preferences",
    });
    return null;
  }
}

/** Whether the stored members are exactly the planned ones, slots and all. */
function sameMembers(
  planned: readonly Membership[],
  stored: readonly StoredMember[],
): boolean {
  if (planned.length !== stored.length) return false;
  const slots = new Map(stored.map((m) => [membershipKey(m), m.slot]));
  return planned.every((m) => slots.get(membershipKey(m)) === m.slot);
}

/**
 * The shared slots against QStash's own list: a slot with members whose
 * schedule is missing or different is made again, a schedule of a slot
 * without members is deleted, a paused state that is wrong is moved. Every
 * create and delete goes through the slot's lease (syncSlots), so a user
 * writing meanwhile cannot be left without a schedule.
 */
async function restartSlots(
  ctx: ServiceContext,
  snapshot: OperationSnapshot,
): Promise<PageResult> {
  const [occupied, ledgerRows] = await Promise.all([
    occupiedSlots(ctx.db),
    heldSlotsQuery(ctx.db, []),
  ]);
  const ledger = new Map(ledgerRows.map((row) => [row.id, row]));
  const counts = { created: 0, deleted: 0, unchanged: 0, ledgerFixed: 0 };
  const toSync: string[] = [];
  for (const slot of occupied) {
    const spec = slotSchedule(slot, ctx.config.callbackUrl);
    const held = snapshot.index.slots.get(slot);
    if (
      !held || held.cron !== spec.cron || held.body !== spec.body ||
      held.destination !== spec.destination
    ) {
      // Forgotten first, so the sync makes it again.
      await forgetHeld(ctx.db, spec.id);
      toSync.push(slot);
      continue;
    }
    if (held.paused !== snapshot.wantPaused) {
      if (snapshot.wantPaused) await ctx.scheduler.pauseSchedule(spec.id);
      else await ctx.scheduler.resumeSchedule(spec.id);
    }
    if (ledger.get(spec.id)?.paused !== snapshot.wantPaused) {
      await recordSlotHeldQuery(ctx.db, {
        schedule: spec,
        slot,
        now: ctx.now(),
        paused: snapshot.wantPaused,
      });
      counts.ledgerFixed++;
    }
    counts.unchanged++;
  }
  for (const [slot, held] of snapshot.index.slots) {
    if (occupied.has(slot)) continue;
    // Recorded first, so the sync deletes it.
    await recordSlotHeldQuery(ctx.db, {
      schedule: held,
      slot,
      now: ctx.now(),
      paused: held.paused,
    });
    toSync.push(slot);
  }
  const done = await syncSlots({ ctx, slots: toSync });
  counts.created += done.created.length;
  counts.deleted += done.deleted.length;
  return { phase: "orphans", cursor: null, counts };
}

/**
 * Deletes what QStash holds under Herald's prefixes for users without
 * preferences and for deleted jobs, then forgets ledger rows nobody owns.
 * The list is re-read on every call, so deleting is safe to repeat.
 */
async function removeOrphans(
  ctx: ServiceContext,
  snapshot: OperationSnapshot,
  pageSize: number,
): Promise<PageResult> {
  const orphans: string[] = [];
  for (const ids of chunk([...snapshot.index.users.keys()], 500)) {
    const known = await usersWithPreferences(ctx.db, ids);
    for (const userId of ids) {
      if (known.has(userId)) continue;
      for (const s of snapshot.index.users.get(userId) ?? []) {
        orphans.push(s.id);
      }
    }
  }
  const jobIds = new Set((await listJobs(ctx.db)).map((j) => j.id));
  for (const jobId of snapshot.index.jobs.keys()) {
    if (!jobIds.has(jobId)) orphans.push(jobScheduleId(jobId));
  }
  // This call's list still shows what earlier pages deleted.
  const left = orphans.filter((id) => !snapshot.removed.has(id)).sort();
  const page = left.slice(0, pageSize);
  for (const id of page) {
    await ctx.scheduler.deleteSchedule(id);
    await forgetHeld(ctx.db, id);
    snapshot.removed.add(id);
    ctx.log.info("schedule.deleted", { schedule: id, reason: "orphan" });
  }
  if (left.length > page.length) {
    return { phase: "orphans", cursor: null, counts: { deleted: page.length } };
  }
  const forgotten = await forgetUnownedLedgerRows(ctx.db);
  return {
    phase: DONE,
    cursor: null,
    counts: { deleted: page.length, ledgerFixed: forgotten },
  };
}
