import type { ServiceContext } from "../../context.ts";
import { parseStoredJob } from "../../domain/jobs/job_definition.ts";
import { jobOwner } from "../../domain/jobs/job_schedule.ts";
import { nextRunAt, splitCron } from "../../domain/jobs/next_run.ts";
import { decodeListCursor, pageOf } from "../../domain/codecs/paging.ts";
import {
  cronDays,
  scheduleOwner,
} from "../../domain/schedules/schedule_plan.ts";
import {
  nextOccurrence,
  slotOfScheduleId,
} from "../../domain/schedules/slot_plan.ts";
import { hourAndMinute } from "../../domain/time/local_time.ts";
import type { Weekday } from "../../domain/time/weekday.ts";
import { AppError } from "../../errors.ts";
import { preferencesOfUsers } from "../../store/preferences/preferences_store.ts";
import {
  memberPage,
  type StoredMember,
} from "../../store/schedules/slot_store.ts";
import { stillWanted } from "../delivery/deliver_occurrence.ts";
import type { Catalogue } from "../../domain/catalogue/catalogue.ts";
import { decodeStoredPreferences } from "../schedules/stored_preferences.ts";
import { listJobs } from "../../store/jobs/job_store.ts";
import { latestUnfinished } from "../../store/control/operation_store.ts";
import {
  countActiveSchedules,
  ledgerPage,
  type LedgerRow,
} from "../../store/schedules/schedule_ledger.ts";
import { readSchedulerRunning } from "../../store/control/scheduler_state_store.ts";
import { recentSlotFailures } from "../../store/schedules/slot_failure_store.ts";
import type { JobDefinition } from "../../domain/jobs/job_definition.ts";
import { type OperationView, viewOf } from "./operation_view.ts";

/** How far back status counts the members slot firings could not serve. */
const SLOT_FAILURE_WINDOW_MS = 86_400_000;

type Trigger =
  | { type: "interval"; every: string }
  | { type: "cron"; cron: string; timezone: string };

export interface StatusJob {
  id: string;
  /**
   * A user's type and time (a per-user schedule, or a slot member), a
   * system job, or a shared slot's schedule.
   */
  kind: "user" | "system" | "slot";
  userId?: string;
  type?: string;
  localTime?: string;
  jobId?: string;
  name?: string;
  /** The slot ("HHMM", UTC): a slot's own, or the one a member is in. */
  slot?: string;
  trigger: Trigger;
  timezone: string;
  nextRun: string | null;
  paused: boolean;
}

export interface SchedulerStatus {
  running: boolean;
  /** Schedules the ledger says are live (not paused) in QStash. */
  activeJobs: number;
  /** The ids on this page. */
  jobIds: string[];
  jobs: StatusJob[];
  nextCursor: string | null;
  defaultTimezone: string;
  /** A restart, stop or start that has not finished, if any. */
  operation: OperationView | null;
  /**
   * Members slot firings could not serve (each is retried no further) in
   * the last day, and the latest of them.
   */
  slotFailures: {
    lastDay: number;
    latest: { slot: string; firedAt: string; at: string; error: string } | null;
  };
  checkedAt: string;
}

/** The key a list cursor names, or a validation error naming the cursor. */
function afterOf(cursor: string | null): string | null {
  if (cursor === null) return null;
  const after = decodeListCursor(cursor);
  if (after !== null) return after;
  throw new AppError("validation_failed", `"cursor": Invalid cursor`, {
    fields: [{ path: "cursor", message: "Invalid cursor" }],
  });
}

/**
 * `GET /v1/scheduler/status`: read from the ledger, a page at a time (and
 * for one user through its index), never from QStash's full list, so it
 * stays cheap with any number of users. Next runs are computed by croner
 * in each schedule's own zone.
 */
export async function schedulerStatus({ ctx, query }: {
  ctx: ServiceContext;
  query: { userId: string | null; cursor: string | null; limit: number };
}): Promise<SchedulerStatus> {
  const q = { ...query, after: afterOf(query.cursor) };
  const [running, activeJobs, rows, members, open, failures] = await Promise
    .all([
      readSchedulerRunning(ctx.db),
      countActiveSchedules(ctx.db),
      ledgerPage(ctx.db, { ...q, limit: q.limit + 1 }),
      memberPage(ctx.db, { ...q, limit: q.limit + 1 }),
      latestUnfinished(ctx.db),
      recentSlotFailures(ctx.db, ctx.now() - SLOT_FAILURE_WINDOW_MS),
    ]);
  // Schedules and slot members, merged in id order into one page.
  const merged: Listed[] = [
    ...rows.map((row) => ({ id: row.id, row })),
    ...members.map((member) => ({ id: member.id, member })),
  ].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const page = pageOf(merged, q.limit, (item) => item.id);
  const listedRows = page.items.flatMap((i) => "row" in i ? [i.row] : []);
  const listedMembers = page.items.flatMap((i) =>
    "member" in i ? [i.member] : []
  );
  const [jobs, prefs] = await Promise.all([
    listedRows.some((row) => row.type === "job")
      ? listJobs(ctx.db).then((all) =>
        new Map(all.map((r) => [r.id, parseStoredJob(r)]))
      )
      : new Map<string, JobDefinition>(),
    preferencesOfUsers(ctx.db, [
      ...new Set(listedMembers.map((m) => m.userId)),
    ]),
  ]);
  const prefsOf = new Map(prefs.map((p) => [p.userId, p.data]));
  const catalogue = await ctx.catalogue();
  const now = ctx.now();
  const entries = page.items.map((item) =>
    "row" in item
      ? statusJob(item.row, jobs, running, now)
      : memberJob(item.member, {
        data: prefsOf.get(item.member.userId),
        catalogue,
        running,
        now,
      })
  );
  return {
    running,
    activeJobs,
    jobIds: entries.map((e) => e.id),
    jobs: entries,
    nextCursor: page.nextCursor,
    defaultTimezone: ctx.config.defaultTimezone,
    operation: open ? viewOf(open) : null,
    slotFailures: {
      lastDay: failures.count,
      latest: failures.latest && {
        slot: failures.latest.slot,
        firedAt: new Date(failures.latest.firedAt).toISOString(),
        at: new Date(failures.latest.at).toISOString(),
        error: failures.latest.error,
      },
    },
    checkedAt: new Date(now).toISOString(),
  };
}

type Listed = { id: string; row: LedgerRow } | {
  id: string;
  member: StoredMember;
};

/**
 * A slot member as a user's job: its own time and days in its own zone,
 * next run computed there (the slot is only where it fires from).
 */
function memberJob(
  member: StoredMember,
  at: {
    data: string | undefined;
    catalogue: Catalogue;
    running: boolean;
    now: number;
  },
): StatusJob {
  const { running, now } = at;
  let timezone = "UTC";
  let days: readonly Weekday[] = [];
  try {
    if (at.data !== undefined) {
      const prefs = decodeStoredPreferences(at.data, at.catalogue);
      timezone = prefs.timezone;
      const typePrefs = stillWanted(
        prefs,
        member,
        at.catalogue.get(member.type),
      );
      if (typeof typePrefs !== "string") days = typePrefs.days;
    }
  } catch {
    // Unreadable preferences: listed without a next run.
  }
  const next = running
    ? nextOccurrence(now, member.localTime, timezone, days)
    : null;
  const { hour, minute } = hourAndMinute(member.localTime);
  return {
    id: member.id,
    kind: "user",
    userId: member.userId,
    type: member.type,
    localTime: member.localTime,
    slot: member.slot,
    trigger: {
      type: "cron",
      cron: `${minute} ${hour} * * ${cronDays(days)}`,
      timezone,
    },
    timezone,
    nextRun: next === null ? null : new Date(next).toISOString(),
    paused: !running,
  };
}

function statusJob(
  row: LedgerRow,
  jobs: ReadonlyMap<string, JobDefinition>,
  running: boolean,
  now: number,
): StatusJob {
  const { zone, pattern } = splitCron(row.cron);
  const next = running && !row.paused ? nextRunAt(row.cron, now) : null;
  const timing = {
    timezone: zone,
    nextRun: next === null ? null : new Date(next).toISOString(),
    paused: row.paused,
  };
  const asCron: Trigger = { type: "cron", cron: pattern, timezone: zone };
  const slot = slotOfScheduleId(row.id);
  if (slot !== null) {
    return { id: row.id, kind: "slot", slot, trigger: asCron, ...timing };
  }
  const jobId = jobOwner(row.id);
  if (jobId !== null) {
    const job = jobs.get(jobId);
    return {
      id: row.id,
      kind: "system",
      jobId,
      ...(job ? { name: job.name } : {}),
      // As the operator configured it (an interval stays an interval).
      trigger: job?.trigger ?? asCron,
      ...timing,
    };
  }
  return {
    id: row.id,
    kind: "user",
    userId: scheduleOwner(row.id)?.userId ?? row.userId ?? "",
    type: row.type,
    ...(row.localTime ? { localTime: row.localTime } : {}),
    trigger: asCron,
    ...timing,
  };
}
