import { and, asc, eq, gt, inArray, isNotNull, lte, sql } from "drizzle-orm";
import type { HeldWithPause } from "../../domain/schedules/drift.ts";
import type { DesiredJobSchedule } from "../../domain/jobs/job_schedule.ts";
import type { DesiredSchedule } from "../../domain/schedules/schedule_plan.ts";
import type { Database } from "../database.ts";
import { schema } from "../database.ts";

const { schedules, preferences, jobs } = schema;

const heldColumns = {
  id: schedules.id,
  cron: schedules.cron,
  destination: schedules.destination,
  body: schedules.body,
  paused: schedules.paused,
};

/** What Herald last confirmed QStash holds for one user. */
export async function heldSchedulesOf(
  db: Database,
  userId: string,
): Promise<HeldWithPause[]> {
  return await heldQuery(db, userId);
}

/** The statement behind heldSchedulesOf, for a batch. */
export function heldQuery(db: Database, userId: string) {
  return db.select(heldColumns).from(schedules)
    .where(eq(schedules.userId, userId)).orderBy(schedules.id);
}

/** Records a schedule QStash just accepted (and, when stopped, paused). */
export function recordHeldQuery(
  db: Database,
  s: DesiredSchedule,
  now: number,
  paused: boolean,
) {
  const row = {
    cron: s.cron,
    destination: s.destination,
    body: s.body,
    type: s.type,
    localTime: s.localTime,
    userId: s.userId,
    paused,
    updatedAt: now,
  };
  return db.insert(schedules).values({ id: s.id, ...row })
    .onConflictDoUpdate({ target: schedules.id, set: row });
}

/** Records a slot's schedule (no user; type "slot", its UTC "HH:MM"). */
export function recordSlotHeldQuery(
  db: Database,
  held: {
    schedule: { id: string; cron: string; destination: string; body: string };
    slot: string;
    now: number;
    paused: boolean;
  },
) {
  const { schedule: s, slot, now, paused } = held;
  const row = {
    cron: s.cron,
    destination: s.destination,
    body: s.body,
    type: "slot",
    localTime: `${slot.slice(0, 2)}:${slot.slice(2, 4)}`,
    userId: null,
    paused,
    updatedAt: now,
  };
  return db.insert(schedules).values({ id: s.id, ...row })
    .onConflictDoUpdate({ target: schedules.id, set: row });
}

/** The slots whose schedules the ledger says QStash holds, among `ids`. */
export function heldSlotsQuery(db: Database, ids: readonly string[]) {
  return db.select({ id: schedules.id, paused: schedules.paused })
    .from(schedules).where(and(
      eq(schedules.type, "slot"),
      ids.length ? inArray(schedules.id, [...ids]) : undefined,
    ));
}

/** Records a system job's schedule (no user; type "job"). */
export async function recordJobHeld(
  db: Database,
  s: DesiredJobSchedule,
  now: number,
  paused: boolean,
): Promise<void> {
  const row = {
    cron: s.cron,
    destination: s.destination,
    body: s.body,
    type: "job",
    localTime: null,
    userId: null,
    paused,
    updatedAt: now,
  };
  await db.insert(schedules).values({ id: s.id, ...row })
    .onConflictDoUpdate({ target: schedules.id, set: row });
}

/** Forgets a schedule QStash just deleted. */
export async function forgetHeld(db: Database, id: string): Promise<void> {
  await forgetHeldQuery(db, id);
}

/** The statement behind forgetHeld, for a batch. */
export function forgetHeldQuery(db: Database, id: string) {
  return db.delete(schedules).where(eq(schedules.id, id));
}

/**
 * Makes the ledger say exactly `rows` for one user, in one batch: used after
 * a reconcile against QStash's own list, when the ledger itself had drifted.
 */
export async function replaceLedgerOf(
  db: Database,
  userId: string,
  rows: readonly { schedule: DesiredSchedule; paused: boolean }[],
  now: number,
): Promise<void> {
  const [first, ...rest] = replaceLedgerQueries(db, userId, rows, now);
  if (first) await db.batch([first, ...rest]);
}

/** The statements behind replaceLedgerOf, for a batch. */
export function replaceLedgerQueries(
  db: Database,
  userId: string,
  rows: readonly { schedule: DesiredSchedule; paused: boolean }[],
  now: number,
) {
  return [
    db.delete(schedules).where(eq(schedules.userId, userId)),
    ...rows.map(({ schedule: s, paused }) =>
      db.insert(schedules).values({
        id: s.id,
        userId: s.userId,
        type: s.type,
        localTime: s.localTime,
        cron: s.cron,
        destination: s.destination,
        body: s.body,
        paused,
        updatedAt: now,
      }).onConflictDoNothing()
    ),
  ];
}

export async function setLedgerPaused(
  db: Database,
  ids: readonly string[],
  paused: boolean,
): Promise<void> {
  if (ids.length === 0) return;
  await db.update(schedules).set({ paused })
    .where(inArray(schedules.id, [...ids]));
}

export interface LedgerRow extends HeldWithPause {
  userId: string | null;
  type: string;
  localTime: string | null;
}

const ledgerRowColumns = {
  ...heldColumns,
  userId: schedules.userId,
  type: schedules.type,
  localTime: schedules.localTime,
};

/**
 * Ledger rows of the users in (`afterUserId`, `lastUserId`]: a page of
 * preferences rows, read in one range scan of the user index.
 */
export async function ledgerOfUserRange(
  db: Database,
  afterUserId: string | null,
  lastUserId: string,
): Promise<LedgerRow[]> {
  return await db.select(ledgerRowColumns).from(schedules).where(and(
    afterUserId === null ? undefined : gt(schedules.userId, afterUserId),
    lte(schedules.userId, lastUserId),
  ));
}

/** One page of the ledger by id, optionally for one user (status). */
export async function ledgerPage(
  db: Database,
  q: { userId: string | null; after: string | null; limit: number },
): Promise<LedgerRow[]> {
  return await db.select(ledgerRowColumns).from(schedules).where(and(
    q.userId === null ? undefined : eq(schedules.userId, q.userId),
    q.after === null ? undefined : gt(schedules.id, q.after),
  )).orderBy(asc(schedules.id)).limit(q.limit);
}

/** Schedules the ledger says are running in QStash. */
export async function countActiveSchedules(db: Database): Promise<number> {
  const rows = await db.select({ n: sql<number>`count(*)` }).from(schedules)
    .where(eq(schedules.paused, false));
  return Number(rows[0]?.n ?? 0);
}

/** System jobs' schedules in the ledger. */
export async function jobLedger(db: Database): Promise<LedgerRow[]> {
  return await db.select({
    ...heldColumns,
    userId: schedules.userId,
    type: schedules.type,
    localTime: schedules.localTime,
  }).from(schedules).where(eq(schedules.type, "job"));
}

/**
 * Forgets ledger rows nobody wants any more: users without preferences and
 * jobs that were deleted (after restart removed their QStash schedules).
 */
export async function forgetUnownedLedgerRows(db: Database): Promise<number> {
  const [users, jobRows] = await db.batch([
    db.run(sql`delete from ${schedules} where ${schedules.userId} is not null
      and not exists (select 1 from ${preferences}
        where ${preferences.userId} = ${schedules.userId})`),
    db.run(sql`delete from ${schedules} where ${schedules.type} = 'job'
      and not exists (select 1 from ${jobs}
        where 'herald.j.' || ${jobs.id} = ${schedules.id})`),
  ]);
  return users.rowsAffected + jobRows.rowsAffected;
}

/** Every per-user schedule's cron and pause, for the slots' load. */
export async function userScheduleTimings(
  db: Database,
): Promise<{ cron: string; paused: boolean }[]> {
  return await db.select({ cron: schedules.cron, paused: schedules.paused })
    .from(schedules).where(isNotNull(schedules.userId));
}
