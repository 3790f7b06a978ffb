import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import type { Database } from "../database.ts";
import { schema } from "../database.ts";

const { memberships, broadcastReached } = schema;

/** Rows one insert statement carries (two parameters each). */
const INSERT_ROWS = 500;

/**
 * Records the members a broadcast reached live, in one batch: what its
 * member pages skip under an `offline` policy.
 */
export async function recordReached(
  db: Database,
  notificationId: string,
  userIds: readonly string[],
): Promise<void> {
  const inserts = [];
  for (let i = 0; i < userIds.length; i += INSERT_ROWS) {
    inserts.push(
      db.insert(broadcastReached).values(
        userIds.slice(i, i + INSERT_ROWS).map((userId) => ({
          notificationId,
          userId,
        })),
      ).onConflictDoNothing(),
    );
  }
  const [first, ...rest] = inserts;
  if (first) await db.batch([first, ...rest]);
}

/** A broadcast's pages are done: what it reached is no longer needed. */
export async function forgetReached(
  db: Database,
  notificationIds: readonly string[],
): Promise<void> {
  if (notificationIds.length === 0) return;
  await db.delete(broadcastReached)
    .where(inArray(broadcastReached.notificationId, [...notificationIds]));
}

/** One member of a broadcast's channel, as a member page sees them. */
export interface MemberRow {
  userId: string;
  /**
   * The notification is theirs: they joined the channel by the time it
   * was made (the inbox's rule), and it is not theirs through a channel
   * paged before this one (each member is pushed once).
   */
  holds: boolean;
  /** A live connection of theirs took it (recorded by `recordReached`). */
  reached: boolean;
}

/**
 * A page of a channel's members, in user id order after `after` — one
 * index range of `(channel, user_id)` — each with what decides their push,
 * read in the same query. `earlier` are the broadcast's channels paged
 * before this one.
 */
export async function memberPage(
  db: Database,
  q: {
    notificationId: string;
    createdAt: number;
    channel: string;
    earlier: readonly string[];
    after: string | null;
    limit: number;
  },
): Promise<MemberRow[]> {
  const m = memberships;
  // Spelled out: drizzle leaves a column in a selected expression
  // unqualified, which inside these subqueries would name their own table.
  const member = sql`"memberships"."user_id"`;
  const heldEarlier = q.earlier.length === 0
    ? sql`0`
    : sql`exists (select 1 from memberships as earlier
        where earlier.user_id = ${member}
          and earlier.channel in (select value from json_each(${
      JSON.stringify(q.earlier)
    }))
          and earlier.joined_at <= ${q.createdAt})`;
  const rows = await db.select({
    userId: m.userId,
    joinedAt: m.joinedAt,
    earlier: sql<number>`${heldEarlier}`,
    reached: sql<number>`exists (select 1 from broadcast_reached as reached
      where reached.notification_id = ${q.notificationId}
        and reached.user_id = ${member})`,
  }).from(m).where(and(
    eq(m.channel, q.channel),
    q.after === null ? undefined : gt(m.userId, q.after),
  )).orderBy(asc(m.userId)).limit(q.limit);
  return rows.map((r) => ({
    userId: r.userId,
    holds: r.joinedAt <= q.createdAt && !Number(r.earlier),
    reached: Boolean(Number(r.reached)),
  }));
}
