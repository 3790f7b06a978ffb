import { and, eq, gt, notInArray } from "drizzle-orm";
import type { Database } from "../database.ts";
import { schema } from "../database.ts";

const { memberships } = schema;

export async function membershipsOf(
  db: Database,
  userId: string,
): Promise<string[]> {
  const rows = await db.select({ channel: memberships.channel })
    .from(memberships).where(eq(memberships.userId, userId))
    .orderBy(memberships.channel);
  return rows.map((r) => r.channel);
}

/** A user's memberships with the time each was joined (ms). */
export async function joinTimesOf(
  db: Database,
  userId: string,
): Promise<Map<string, number>> {
  const rows = await db.select({
    channel: memberships.channel,
    joinedAt: memberships.joinedAt,
  }).from(memberships).where(eq(memberships.userId, userId))
    .orderBy(memberships.channel);
  return new Map(rows.map((r) => [r.channel, r.joinedAt]));
}

/**
 * Makes the stored memberships equal `channels` (as the user's token says).
 * A channel already held keeps its join time; a new one joins now; one no
 * longer named is left, so naming it again later is a new join.
 */
export async function replaceMemberships(
  db: Database,
  userId: string,
  channels: readonly string[],
  now: number,
): Promise<void> {
  const remove = channels.length
    ? db.delete(memberships).where(and(
      eq(memberships.userId, userId),
      notInArray(memberships.channel, [...channels]),
    ))
    : db.delete(memberships).where(eq(memberships.userId, userId));
  const add = channels.map((channel) =>
    db.insert(memberships).values({ userId, channel, joinedAt: now })
      .onConflictDoNothing()
  );
  await db.batch([remove, ...add]);
}

/** Members of a role/topic channel, a page at a time (by user id). */
export async function membersOf(
  db: Database,
  channel: string,
  afterUserId: string | null,
  limit: number,
): Promise<string[]> {
  const rows = await db.select({ userId: memberships.userId })
    .from(memberships).where(and(
      eq(memberships.channel, channel),
      afterUserId === null ? undefined : gt(memberships.userId, afterUserId),
    )).orderBy(memberships.userId).limit(limit);
  return rows.map((r) => r.userId);
}
