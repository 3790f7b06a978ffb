import { and, desc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Database } from "./database.ts";
import { schema } from "./database.ts";

const { schedulerOperations: ops } = schema;

export type OperationKind = "restart" | "stop" | "start";
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

/** The newest operation that has not finished (running, failed or stalled). */
export async function latestUnfinished(
  db: Database,
): Promise<Operation | null> {
  const rows = await db.select().from(ops)
    .where(inArray(ops.status, ["running", "failed"]))
    .orderBy(desc(ops.startedAt)).limit(1);
  return rows[0] ?? null;
}

export async function insertOperation(
  db: Database,
  op: { id: string; kind: OperationKind; phase: string; now: number },
): Promise<void> {
  await db.insert(ops).values({
    id: op.id,
    kind: op.kind,
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

/** Saves a page's progress and extends the lease. */
export async function recordPage(
  db: Database,
  id: string,
  page: { phase: string; cursor: string | null; counts: PageCounts },
  now: number,
  leaseMs: number,
): Promise<Operation | null> {
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
