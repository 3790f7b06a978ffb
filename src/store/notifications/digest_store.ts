import { and, asc, eq, gt, inArray, lt, sql } from "drizzle-orm";
import { z } from "zod";
import {
  type DigestItem,
  digestItemSchema,
} from "../../domain/delivery/digest.ts";
import type { Database } from "../database.ts";
import { schema } from "../database.ts";
import {
  revisedOf,
  type Revision,
  revisionStatements,
  type StoredNotification,
} from "./notification_store.ts";

const { digests } = schema;
const itemList = z.array(digestItemSchema);

export interface Digest {
  id: string;
  userId: string;
  type: string;
  key: string;
  notificationId: string;
  count: number;
  items: DigestItem[];
  status: "open" | "closed";
  openedAt: number;
  closesAt: number;
}

function toDigest(row: typeof digests.$inferSelect): Digest {
  return { ...row, items: itemList.parse(JSON.parse(row.items)) };
}

/** The open digest of a user, type and key whose window has not closed. */
export async function findOpenDigest(
  db: Database,
  q: { userId: string; type: string; key: string; now: number },
): Promise<Digest | null> {
  const rows = await db.select().from(digests).where(and(
    eq(digests.userId, q.userId),
    eq(digests.type, q.type),
    eq(digests.key, q.key),
    eq(digests.status, "open"),
    gt(digests.closesAt, q.now),
  )).limit(1);
  return rows[0] ? toDigest(rows[0]) : null;
}

/**
 * Opens a digest. False when another is open for the same user, type and
 * key (its unique index): the caller joins that one instead.
 */
export async function insertDigest(
  db: Database,
  digest: Digest,
): Promise<boolean> {
  const result = await db.insert(digests)
    .values({ ...digest, items: JSON.stringify(digest.items) })
    .onConflictDoNothing();
  return result.rowsAffected === 1;
}

/**
 * Stores a join made from the digest as it stood at `fromCount` and
 * revises its item, in one batch (one transaction, one round trip): the
 * digest's conditional update, then the item's revision guarded on that
 * update having landed — the digest holding this join's count and items,
 * which a join that lost the race never wrote. Null when another join (or
 * a close) got there first: read it again.
 */
export async function joinAndRevise(
  db: Database,
  u: {
    id: string;
    fromCount: number;
    count: number;
    items: readonly DigestItem[];
    close: boolean;
  },
  revision: Revision,
): Promise<{ notification: StoredNotification; unread: number } | null> {
  const items = JSON.stringify(u.items);
  const landed = sql`exists (select 1 from ${digests}
    where ${digests.id} = ${u.id} and ${digests.count} = ${u.count}
      and ${digests.items} = ${items})`;
  const [won, ...revised] = await db.batch([
    db.update(digests).set({
      count: u.count,
      items,
      ...(u.close ? { status: "closed" as const } : {}),
    }).where(and(
      eq(digests.id, u.id),
      eq(digests.count, u.fromCount),
      eq(digests.status, "open"),
    )).returning({ id: digests.id }),
    ...revisionStatements(db, revision, landed),
  ]);
  if (won.length !== 1) return null;
  const done = revisedOf(revision, revised);
  if (!done) throw new Error("A digest's notification is missing");
  return done;
}

/** Closes an open digest (its window ended); null when it was not open. */
export async function closeDigestRow(
  db: Database,
  id: string,
): Promise<Digest | null> {
  const rows = await db.update(digests).set({ status: "closed" })
    .where(and(eq(digests.id, id), eq(digests.status, "open")))
    .returning();
  return rows[0] ? toDigest(rows[0]) : null;
}

/**
 * Deletes up to `limit` digests whose window ended before `before` (closed,
 * or open with its close message lost: nobody joins it any more), oldest
 * first. Answers how many went.
 */
export async function pruneDigests(
  db: Database,
  before: number,
  limit: number,
): Promise<number> {
  const old = db.select({ id: digests.id }).from(digests)
    .where(and(lt(digests.openedAt, before), lt(digests.closesAt, before)))
    .orderBy(asc(digests.openedAt)).limit(limit);
  const rows = await db.delete(digests).where(inArray(digests.id, old))
    .returning({ id: digests.id });
  return rows.length;
}
