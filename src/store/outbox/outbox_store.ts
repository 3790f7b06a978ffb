import { asc, inArray, sql } from "drizzle-orm";
import type { Database } from "../database.ts";
import { schema } from "../database.ts";

const { publishOutbox } = schema;

/** A message kept for a later publish. */
export interface KeptMessage {
  id: string;
  kind: string;
  /** The port's MessageSpec, as JSON. */
  spec: string;
  attempts: number;
  createdAt: number;
}

/** Keeps messages for a later publish, in one statement. */
export async function keepMessages(
  db: Database,
  rows: readonly KeptMessage[],
): Promise<void> {
  if (rows.length === 0) return;
  await db.insert(publishOutbox).values([...rows]);
}

/** The oldest kept messages, up to `limit`. */
export function oldestKept(db: Database, limit: number) {
  return db.select().from(publishOutbox)
    .orderBy(asc(publishOutbox.createdAt), asc(publishOutbox.id))
    .limit(limit);
}

/** Forgets messages QStash has taken. */
export async function forgetKept(
  db: Database,
  ids: readonly string[],
): Promise<void> {
  if (ids.length === 0) return;
  await db.delete(publishOutbox).where(inArray(publishOutbox.id, [...ids]));
}

/** Counts one more failed publish of each. */
export async function countFailedPublish(
  db: Database,
  ids: readonly string[],
): Promise<void> {
  if (ids.length === 0) return;
  await db.update(publishOutbox)
    .set({ attempts: sql`${publishOutbox.attempts} + 1` })
    .where(inArray(publishOutbox.id, [...ids]));
}

/** How many messages wait, for status and metrics. */
export async function keptCount(db: Database): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)` })
    .from(publishOutbox);
  return Number(row?.n ?? 0);
}
