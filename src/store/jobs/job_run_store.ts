import { and, desc, eq, sql } from "drizzle-orm";
import type { Database } from "../database.ts";
import { schema } from "../database.ts";

const { jobRuns: runs, jobRunPages: pages, jobRunFailures: failures } = schema;

export type JobRun = typeof runs.$inferSelect;
export type RunTrigger = JobRun["trigger"];

export async function getRun(db: Database, id: string): Promise<JobRun | null> {
  const rows = await db.select().from(runs).where(eq(runs.id, id)).limit(1);
  return rows[0] ?? null;
}

export async function recentRuns(
  db: Database,
  jobId: string,
  limit: number,
): Promise<JobRun[]> {
  return await db.select().from(runs).where(eq(runs.jobId, jobId))
    .orderBy(desc(runs.startedAt)).limit(limit);
}

/**
 * Starts run `id`, or takes it over when an earlier attempt failed or its
 * holder's lease ran out. Null means someone else has it (running) or it
 * already succeeded: the caller reports the existing run instead.
 */
export async function claimRun(
  db: Database,
  run: { id: string; jobId: string; trigger: RunTrigger },
  now: number,
  leaseMs: number,
): Promise<JobRun | null> {
  const rows = await db.insert(runs).values({
    ...run,
    status: "running",
    leaseUntil: now + leaseMs,
    startedAt: now,
  }).onConflictDoUpdate({
    target: runs.id,
    set: {
      status: "running",
      attempts: sql`${runs.attempts} + 1`,
      leaseUntil: now + leaseMs,
      error: null,
    },
    setWhere: sql`${runs.status} = 'failed' or (${runs.leaseUntil} is not null
      and ${runs.leaseUntil} < ${now})`,
  }).returning();
  return rows[0] ?? null;
}

export async function finishRun(
  db: Database,
  id: string,
  outcome:
    | { status: "succeeded"; result: unknown }
    | { status: "failed"; error: string },
  now: number,
): Promise<JobRun | null> {
  const rows = await db.update(runs).set({
    status: outcome.status,
    leaseUntil: null,
    finishedAt: now,
    result: outcome.status === "succeeded"
      ? JSON.stringify(outcome.result ?? null)
      : null,
    error: outcome.status === "failed" ? outcome.error : null,
  }).where(eq(runs.id, id)).returning();
  return rows[0] ?? null;
}

/** A fan-out hands its run over to its pages: running, but nobody's lease. */
export async function handOverRun(db: Database, id: string): Promise<void> {
  await db.update(runs).set({ leaseUntil: null }).where(eq(runs.id, id));
}

/**
 * Records a fan-out page as published. The run's counters are recomputed
 * from the pages table, so a retried page changes nothing; the run
 * succeeds once every page up to the last one is in. `finished` is true
 * for the one call that made it succeed, however pages race.
 */
export async function recordRunPage(
  db: Database,
  page: { runId: string; page: number; users: number; last: boolean },
  now: number,
): Promise<{ run: JobRun | null; finished: boolean }> {
  const id = page.runId;
  const [, , finishing] = await db.batch([
    db.insert(pages).values({
      runId: id,
      page: page.page,
      users: page.users,
    }).onConflictDoNothing(),
    db.update(runs).set({
      pages: sql`(select count(*) from ${pages} where ${pages.runId} = ${id})`,
      published: sql`(select coalesce(sum(${pages.users}), 0) from ${pages}
        where ${pages.runId} = ${id})`,
      lastPage: page.last ? page.page : sql`${runs.lastPage}`,
    }).where(eq(runs.id, id)),
    db.update(runs).set({
      status: "succeeded",
      finishedAt: now,
      result: sql`json_object('pages', ${runs.pages},
        'published', ${runs.published})`,
    }).where(and(
      eq(runs.id, id),
      eq(runs.status, "running"),
      sql`${runs.lastPage} is not null and ${runs.pages} = ${runs.lastPage} + 1`,
    )),
  ]);
  return { run: await getRun(db, id), finished: finishing.rowsAffected === 1 };
}

/** A user's notification exists: count it once, and clear any failure. */
export async function recordUserDelivered(
  db: Database,
  runId: string,
  userId: string,
): Promise<void> {
  const failedBefore = sql`(select count(*) from ${failures}
    where ${failures.runId} = ${runId} and ${failures.userId} = ${userId})`;
  await db.batch([
    db.update(runs).set({
      delivered: sql`${runs.delivered} + 1`,
      failed: sql`${runs.failed} - ${failedBefore}`,
    }).where(eq(runs.id, runId)),
    db.delete(failures).where(
      and(eq(failures.runId, runId), eq(failures.userId, userId)),
    ),
  ]);
}

/** A user's attempt failed (QStash retries it); counted once per user. */
export async function recordUserFailed(
  db: Database,
  failure: { runId: string; userId: string; error: string; now: number },
): Promise<void> {
  const { runId, userId, error, now } = failure;
  await db.batch([
    db.update(runs).set({ failed: sql`${runs.failed} + 1` }).where(and(
      eq(runs.id, runId),
      sql`not exists (select 1 from ${failures} where ${failures.runId} =
        ${runId} and ${failures.userId} = ${userId})`,
    )),
    db.insert(failures).values({
      runId,
      userId,
      attempts: 1,
      error,
      updatedAt: now,
    }).onConflictDoUpdate({
      target: [failures.runId, failures.userId],
      set: {
        attempts: sql`${failures.attempts} + 1`,
        error,
        updatedAt: now,
      },
    }),
  ]);
}

export async function runFailures(
  db: Database,
  runId: string,
  limit: number,
): Promise<{ userId: string; attempts: number; error: string }[]> {
  return await db.select({
    userId: failures.userId,
    attempts: failures.attempts,
    error: failures.error,
  }).from(failures).where(eq(failures.runId, runId)).limit(limit);
}
