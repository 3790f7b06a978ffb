import { and, desc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Database } from "../database.ts";
import { schema } from "../database.ts";

const { schedulerOperations: ops } = schema;

/** Restart, stop and start are the scheduler's; a retype follows a type. */
export type OperationKind = "restart" | "stop" | "start" | "retype";
export type SchedulerOperationKind = Exclude<OperationKind, "retype">;
const SCHEDULER_KINDS: SchedulerOperationKind[] = ["restart", "stop", "start"];
export type Operation = typeof ops.$inferSelect;

/** What one page adds to an operation's counts. */
export interface PageCounts {
  users?: number;
  created?: number;
  updated?: number;
  deleted?: number;
  unchanged?: number;
  paused?: number;
  resumed?: number;
  ledgerFixed?: number;
}

export async function getOperation(
  db: Database,
  id: string,
): Promise<Operation | null> {
  const rows = await db.select().from(ops).where(eq(ops.id, id)).limit(1);
  return rows[0] ?? null;
}

/**
 * The newest restart, stop or start that has not finished (running, failed
 * or stalled). Retypes run beside them and are not counted.
 */
export async function latestUnfinished(
  db: Database,
): Promise<Operation | null> {
  const rows = await db.select().from(ops)
    .where(and(
      inArray(ops.status, ["running", "failed"]),
      inArray(ops.kind, SCHEDULER_KINDS),
    ))
    .orderBy(desc(ops.startedAt)).limit(1);
  return rows[0] ?? null;
}

/**
 * Operations to pick up: any whose runner's lease ran out, and failed
 * retypes (nobody asks for those again: the catalogue change stands, so
 * its walk must finish). A failed restart, stop or start waits for the
 * operator's next request instead.
 */
export async function stalledOperations(
  db: Database,
  now: number,
): Promise<Operation[]> {
  return await db.select().from(ops).where(or(
    and(eq(ops.status, "running"), lt(ops.leaseUntil, now)),
    and(eq(ops.status, "failed"), eq(ops.kind, "retype")),
  )).orderBy(ops.startedAt);
}

export async function insertOperation(
  db: Database,
  op: {
    id: string;
    kind: OperationKind;
    phase: string;
    now: number;
    /** What a retype is about (JSON). */
    params?: string;
    /** Made for the maintenance sweep to run, not by this caller. */
    stalled?: boolean;
  },
): Promise<void> {
  await db.insert(ops).values({
    id: op.id,
    kind: op.kind,
    params: op.params ?? null,
    leaseUntil: op.stalled ? 0 : null,
    status: "running",
    phase: op.phase,
    startedAt: op.now,
    updatedAt: op.now,
  });
}

/**
 * Takes the operation's lease when it is free or ran out (one statement,
 * so two runners never both win) and marks it running again.
 */
export async function leaseOperation(
  db: Database,
  id: string,
  now: number,
  leaseMs: number,
): Promise<Operation | null> {
  const rows = await db.update(ops).set({
    status: "running",
    error: null,
    leaseUntil: now + leaseMs,
    updatedAt: now,
  }).where(and(
    eq(ops.id, id),
    inArray(ops.status, ["running", "failed"]),
    or(isNull(ops.leaseUntil), lt(ops.leaseUntil, now)),
  )).returning();
  return rows[0] ?? null;
}

/** Saves a page's progress and extends the lease by `leaseMs` from `now`. */
export async function recordPage(
  db: Database,
  progress: {
    id: string;
    page: { phase: string; cursor: string | null; counts: PageCounts };
    now: number;
    leaseMs: number;
  },
): Promise<Operation | null> {
  const { id, page, now, leaseMs } = progress;
  const add = (column: SQLiteColumn, by = 0) => sql`${column} + ${by}`;
  const c = page.counts;
  const rows = await db.update(ops).set({
    phase: page.phase,
    cursor: page.cursor,
    pages: sql`${ops.pages} + 1`,
    users: add(ops.users, c.users),
    created: add(ops.created, c.created),
    updated: add(ops.updated, c.updated),
    deleted: add(ops.deleted, c.deleted),
    unchanged: add(ops.unchanged, c.unchanged),
    paused: add(ops.paused, c.paused),
    resumed: add(ops.resumed, c.resumed),
    ledgerFixed: add(ops.ledgerFixed, c.ledgerFixed),
    leaseUntil: now + leaseMs,
    updatedAt: now,
  }).where(eq(ops.id, id)).returning();
  return rows[0] ?? null;
}

export async function finishOperation(
  db: Database,
  id: string,
  outcome: { status: "done" } | { status: "failed"; error: string },
  now: number,
): Promise<Operation | null> {
  const rows = await db.update(ops).set({
    status: outcome.status,
    error: outcome.status === "failed" ? outcome.error : null,
    leaseUntil: null,
    updatedAt: now,
    finishedAt: outcome.status === "done" ? now : null,
  }).where(eq(ops.id, id)).returning();
  return rows[0] ?? null;
}

/** Lets the next request (or a continuation message) take the lease. */
export async function releaseOperation(
  db: Database,
  id: string,
  now: number,
): Promise<void> {
  await db.update(ops).set({ leaseUntil: null, updatedAt: now })
    .where(eq(ops.id, id));
}

export async function supersede(
  db: Database,
  id: string,
  now: number,
): Promise<void> {
  await db.update(ops).set({
    status: "superseded",
    leaseUntil: null,
    updatedAt: now,
    finishedAt: now,
  }).where(eq(ops.id, id));
}
