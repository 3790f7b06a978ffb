import { parseStoredJob } from "../domain/job_definition.ts";
import { jobOwner } from "../domain/job_schedule.ts";
import { nextRunAt, splitCron } from "../domain/next_run.ts";
import { pageOf } from "../domain/paging.ts";
import { scheduleOwner } from "../domain/schedule_plan.ts";
import type { AppDeps } from "../deps.ts";
import { listJobs } from "../ports/job_store.ts";
import { latestUnfinished } from "../ports/operation_store.ts";
import {
  countActiveSchedules,
  ledgerPage,
  type LedgerRow,
} from "../ports/schedule_ledger.ts";
import { readSchedulerRunning } from "../ports/scheduler_state_store.ts";
import type { JobDefinition } from "../domain/job_definition.ts";
import { type OperationView, viewOf } from "./operation_view.ts";

type Deps = Pick<AppDeps, "db" | "now" | "config">;

type Trigger =
  | { type: "interval"; every: string }
  | { type: "cron"; cron: string; timezone: string };

export interface StatusJob {
  id: string;
  kind: "user" | "system";
  userId?: string;
  type?: string;
  localTime?: string;
  jobId?: string;
  name?: string;
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
  checkedAt: string;
}

/**
 * `GET /v1/scheduler/status`: read from the ledger, a page at a time (and
 * for one user through its index), never from QStash's full list, so it
 * stays cheap with any number of users. Next runs are computed by croner
 * in each schedule's own zone.
 */
export async function schedulerStatus(
  deps: Deps,
  q: { userId: string | null; after: string | null; limit: number },
): Promise<SchedulerStatus> {
  const [running, activeJobs, rows, open] = await Promise.all([
    readSchedulerRunning(deps.db),
    countActiveSchedules(deps.db),
    ledgerPage(deps.db, { ...q, limit: q.limit + 1 }),
    latestUnfinished(deps.db),
  ]);
  const page = pageOf(rows, q.limit, (row) => row.id);
  const jobs = page.items.some((row) => row.userId === null)
    ? new Map((await listJobs(deps.db)).map((r) => [r.id, parseStoredJob(r)]))
    : new Map<string, JobDefinition>();
  const now = deps.now();
  const entries = page.items.map((row) => statusJob(row, jobs, running, now));
  return {
    running,
    activeJobs,
    jobIds: entries.map((e) => e.id),
    jobs: entries,
    nextCursor: page.nextCursor,
    defaultTimezone: deps.config.defaultTimezone,
    operation: open ? viewOf(open) : null,
    checkedAt: new Date(now).toISOString(),
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
