import type { ServiceContext } from "../../context.ts";
import {
  compareHeld,
  compareMembers,
  type DriftEntry,
  type DriftSummary,
  summarize,
} from "../../domain/schedules/drift.ts";
import { indexHeld } from "../../domain/schedules/held_index.ts";
import { parseStoredJob } from "../../domain/jobs/job_definition.ts";
import {
  isHeraldSchedule,
  planJobSchedule,
} from "../../domain/jobs/job_schedule.ts";
import { listJobs } from "../../store/jobs/job_store.ts";
import { preferencesPage } from "../../store/preferences/preferences_store.ts";
import { readSchedulerRunning } from "../../store/control/scheduler_state_store.ts";
import { decodeStoredPreferences } from "../schedules/stored_preferences.ts";
import { type UserTruth, userTruth } from "../schedules/user_truth.ts";
import {
  membersOfUserRange,
  occupiedSlots,
  type StoredMember,
} from "../../store/schedules/slot_store.ts";
import { slotSchedule } from "../../domain/schedules/slot_plan.ts";
import { planUser } from "../schedules/user_plan.ts";

export interface DriftReport {
  scope: { userId: string } | "all";
  running: boolean;
  summary: DriftSummary;
  /** Every schedule for one user; only the drifted ones for everybody. */
  schedules: (DriftEntry & { userId?: string; jobId?: string })[];
  /** True when more drifted schedules exist than are listed. */
  truncated: boolean;
  checkedAt: string;
}

const PAGE = 1_000;
const MAX_LISTED = 500;

/** `GET /v1/scheduler/drift?userId=`: gets per id, no full listing. */
export async function userDrift({ ctx, userId }: {
  ctx: ServiceContext;
  userId: string;
}): Promise<DriftReport> {
  const [truth, running] = await Promise.all([
    userTruth({ ctx, userId }),
    readSchedulerRunning(ctx.db),
  ]);
  const entries = userEntries(truth, !running);
  return {
    scope: { userId },
    running,
    summary: summarize(entries),
    schedules: entries.map((e) => ({ ...e, userId })),
    truncated: false,
    checkedAt: new Date(ctx.now()).toISOString(),
  };
}

/**
 * One user's drift: per-user schedules against QStash, slot members
 * against their plan, and the slots the plan needs against QStash.
 */
export function userEntries(
  truth: UserTruth,
  wantPaused: boolean,
): DriftEntry[] {
  const needed = new Set(truth.desiredSlots.map((s) => s.id));
  return [
    ...compareHeld(truth.desired, truth.held, wantPaused),
    ...compareMembers(truth.plannedMembers, truth.storedMembers),
    ...compareHeld(
      truth.desiredSlots,
      truth.heldSlots.filter((s) => needed.has(s.id)),
      wantPaused,
    ),
  ];
}

/**
 * `GET /v1/scheduler/drift`: one QStash list against every job and every
 * user's plan (preferences read a page at a time), plus what QStash holds
 * under Herald's prefixes that nobody wants. Read-only.
 */
export async function allDrift({
  ctx,
}: { ctx: ServiceContext }): Promise<DriftReport> {
  const [list, running, jobRows] = await Promise.all([
    ctx.scheduler.listSchedules(),
    readSchedulerRunning(ctx.db),
    listJobs(ctx.db),
  ]);
  const index = indexHeld(list.filter((s) => isHeraldSchedule(s.id)));
  const wantPaused = !running;
  const drifted: DriftReport["schedules"] = [];
  const all: DriftEntry[] = [];
  const note = (
    entries: DriftEntry[],
    owner: { userId?: string; jobId?: string },
  ) => {
    for (const e of entries) {
      all.push(e);
      if (e.state !== "ok") drifted.push({ ...e, ...owner });
    }
  };
  for (const row of jobRows) {
    const job = parseStoredJob(row);
    const held = index.jobs.get(job.id);
    index.jobs.delete(job.id);
    note(
      compareHeld(
        [planJobSchedule(job, ctx.config.callbackUrl)],
        held ? [held] : [],
        wantPaused,
      ),
      { jobId: job.id },
    );
  }
  const catalogue = await ctx.catalogue();
  for (let after: string | null = null;;) {
    const rows = await preferencesPage(ctx.db, after, PAGE);
    const last = rows.at(-1);
    const members = new Map<string, StoredMember[]>();
    if (last) {
      for (const m of await membersOfUserRange(ctx.db, after, last.userId)) {
        members.set(m.userId, [...(members.get(m.userId) ?? []), m]);
      }
    }
    for (const row of rows) {
      const plan = planUser({
        ctx,
        user: {
          userId: row.userId,
          prefs: decodeStoredPreferences(row.data, catalogue),
        },
        catalogue,
        now: ctx.now(),
      });
      const held = index.users.get(row.userId) ?? [];
      index.users.delete(row.userId);
      note([
        ...compareHeld(plan.schedules, held, wantPaused),
        ...compareMembers(plan.members, members.get(row.userId) ?? []),
      ], { userId: row.userId });
    }
    if (!last || rows.length < PAGE) break;
    after = last.userId;
  }
  // Every slot with members has its schedule; none without.
  const slotSpecs = [...await occupiedSlots(ctx.db)].sort()
    .map((slot) => slotSchedule(slot, ctx.config.callbackUrl));
  note(compareHeld(slotSpecs, [...index.slots.values()], wantPaused), {});
  // Left in the index: held under Herald's prefixes, wanted by nobody.
  for (const [userId, held] of index.users) {
    note(compareHeld([], held, wantPaused), { userId });
  }
  for (const [jobId, held] of index.jobs) {
    note(compareHeld([], [held], wantPaused), { jobId });
  }
  return {
    scope: "all",
    running,
    summary: summarize(all),
    schedules: drifted.slice(0, MAX_LISTED),
    truncated: drifted.length > MAX_LISTED,
    checkedAt: new Date(ctx.now()).toISOString(),
  };
}
