import { diffSchedules, isNoop } from "../domain/reconcile_diff.ts";
import { type HeldWithPause, sameHeld } from "../domain/drift.ts";
import { parseStoredJob } from "../domain/job_definition.ts";
import { jobScheduleId } from "../domain/job_schedule.ts";
import { chunk } from "../domain/paging.ts";
import {
  type DesiredSchedule,
  planUserSchedules,
} from "../domain/schedule_plan.ts";
import { listJobs } from "../ports/job_store.ts";
import {
  preferencesPage,
  usersWithPreferences,
} from "../ports/preferences_store.ts";
import {
  forgetHeld,
  forgetUnownedLedgerRows,
  ledgerOfUserRange,
  replaceLedgerOf,
} from "../ports/schedule_ledger.ts";
import { DatabaseUnavailableError } from "../ports/database_outage.ts";
import { SchedulerError } from "../ports/scheduler.ts";
import { shortId } from "../ports/logger.ts";
import { syncJobSchedule } from "./job_schedule_sync.ts";
import {
  DONE,
  type OperationContext,
  type OperationDeps,
  type PageResult,
  type PageStep,
} from "./operation_context.ts";
import { reconcileUser } from "./reconcile_user.ts";
import { decodeStoredPreferences } from "./stored_preferences.ts";

/**
 * Restart: every system job, then every user page by page, then whatever
 * QStash holds under Herald's prefixes that nobody wants. Each page compares
 * QStash's own list (not the ledger) with the plan, so a schedule deleted or
 * changed behind Herald's back is healed; a user whose schedules already
 * match costs no QStash call and no write (only a ledger fix if the ledger
 * itself drifted). Pages read preferences and ledger rows in one query
 * each, never one round trip per user.
 */
export const restartStep: PageStep = (deps, ctx, at, pageSize) => {
  switch (at.phase) {
    case "jobs":
      return restartJobs(deps, ctx);
    case "users":
      return restartUsers(deps, ctx, at.cursor, pageSize);
    case "orphans":
      return removeOrphans(deps, ctx, pageSize);
    default:
      return Promise.resolve({ phase: DONE, cursor: null, counts: {} });
  }
};

export const RESTART_FIRST_PHASE = "jobs";

async function restartJobs(
  deps: OperationDeps,
  ctx: OperationContext,
): Promise<PageResult> {
  const counts = { created: 0, updated: 0, unchanged: 0 };
  for (const row of await listJobs(deps.db)) {
    const job = parseStoredJob(row);
    const sync = await syncJobSchedule(
      deps,
      job,
      ctx.index.jobs.get(job.id) ?? null,
    );
    counts[sync]++;
  }
  return { phase: "users", cursor: null, counts };
}

async function restartUsers(
  deps: OperationDeps,
  ctx: OperationContext,
  after: string | null,
  pageSize: number,
): Promise<PageResult> {
  const rows = await preferencesPage(deps.db, after, pageSize);
  const last = rows[rows.length - 1];
  if (!last) return { phase: "orphans", cursor: null, counts: {} };
  const ledger = new Map<string, HeldWithPause[]>();
  for (const row of await ledgerOfUserRange(deps.db, after, last.userId)) {
    if (row.userId === null) continue;
    const list = ledger.get(row.userId) ?? [];
    list.push(row);
    ledger.set(row.userId, list);
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
    const truth = ctx.index.users.get(row.userId) ?? [];
    const desired = planOrSkip(deps, row);
    if (!desired) continue;
    const matches = isNoop(diffSchedules(desired, truth)) &&
      truth.every((s) => s.paused === ctx.wantPaused);
    if (matches && row.syncStatus === "synced") {
      counts.unchanged += desired.length;
      if (!sameHeld(ledger.get(row.userId) ?? [], truth)) {
        await replaceLedgerOf(
          deps.db,
          row.userId,
          desired.map((schedule) => ({ schedule, paused: ctx.wantPaused })),
          deps.now(),
        );
        counts.ledgerFixed++;
      }
      continue;
    }
    const outcome = await reconcileUser(deps, row.userId, { held: truth });
    if (outcome.reason === "scheduler_unavailable") {
      // Fail the operation here, so it resumes from this page.
      throw new SchedulerError("QStash failed during the restart");
    }
    if (outcome.reason === "database_unavailable") {
      throw new DatabaseUnavailableError("lost during the restart");
    }
    counts.created += outcome.created.length;
    counts.updated += outcome.updated.length;
    counts.deleted += outcome.deleted.length;
    counts.unchanged += outcome.unchanged.length;
  }
  return { phase: "users", cursor: last.userId, counts };
}

/** A row that cannot be read is logged and left alone, not fatal to all. */
function planOrSkip(
  deps: OperationDeps,
  row: { userId: string; data: string },
): DesiredSchedule[] | null {
  try {
    return planUserSchedules(row.userId, decodeStoredPreferences(row.data), {
      destination: deps.config.callbackUrl,
      now: deps.now(),
    });
  } catch {
    deps.log.warn("restart.skipped", {
      user: shortId(row.userId),
      reason: "unreadable preferences",
    });
    return null;
  }
}

/**
 * Deletes what QStash holds under Herald's prefixes for users without
 * preferences and for deleted jobs, then forgets ledger rows nobody owns.
 * The list is re-read on every call, so deleting is safe to repeat.
 */
async function removeOrphans(
  deps: OperationDeps,
  ctx: OperationContext,
  pageSize: number,
): Promise<PageResult> {
  const orphans: string[] = [];
  for (const ids of chunk([...ctx.index.users.keys()], 500)) {
    const known = await usersWithPreferences(deps.db, ids);
    for (const userId of ids) {
      if (known.has(userId)) continue;
      for (const s of ctx.index.users.get(userId) ?? []) orphans.push(s.id);
    }
  }
  const jobIds = new Set((await listJobs(deps.db)).map((j) => j.id));
  for (const jobId of ctx.index.jobs.keys()) {
    if (!jobIds.has(jobId)) orphans.push(jobScheduleId(jobId));
  }
  // This call's list still shows what earlier pages deleted.
  const left = orphans.filter((id) => !ctx.removed.has(id)).sort();
  const page = left.slice(0, pageSize);
  for (const id of page) {
    await deps.scheduler.deleteSchedule(id);
    await forgetHeld(deps.db, id);
    ctx.removed.add(id);
    deps.log.info("schedule.deleted", { schedule: id, reason: "orphan" });
  }
  if (left.length > page.length) {
    return { phase: "orphans", cursor: null, counts: { deleted: page.length } };
  }
  const forgotten = await forgetUnownedLedgerRows(deps.db);
  return {
    phase: DONE,
    cursor: null,
    counts: { deleted: page.length, ledgerFixed: forgotten },
  };
}
