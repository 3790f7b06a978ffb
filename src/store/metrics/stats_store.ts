import { and, desc, eq, gte, lt, sql } from "drizzle-orm";
import type { Database } from "../database.ts";
import { schema } from "../database.ts";

const { notifications, notificationReads, dailyStats } = schema;

export interface TypeCounts {
  sent: number;
  read: number;
}

/**
 * Notifications created, and read receipts written, in [start, end), per
 * notification type: two grouped scans over the time indexes.
 */
export async function countDay(
  db: Database,
  start: number,
  end: number,
): Promise<Map<string, TypeCounts>> {
  const [sent, read] = await Promise.all([
    db.select({ type: notifications.type, n: sql<number>`count(*)` })
      .from(notifications).where(and(
        gte(notifications.createdAt, start),
        lt(notifications.createdAt, end),
      )).groupBy(notifications.type),
    db.select({ type: notifications.type, n: sql<number>`count(*)` })
      .from(notificationReads)
      .innerJoin(
        notifications,
        eq(notifications.id, notificationReads.notificationId),
      ).where(and(
        gte(notificationReads.readAt, start),
        lt(notificationReads.readAt, end),
      )).groupBy(notifications.type),
  ]);
  const counts = new Map<string, TypeCounts>();
  const entry = (type: string) => {
    let c = counts.get(type);
    if (!c) counts.set(type, c = { sent: 0, read: 0 });
    return c;
  };
  for (const row of sent) entry(row.type).sent = Number(row.n);
  for (const row of read) entry(row.type).read = Number(row.n);
  return counts;
}

/** Replaces one day's stored counts (a re-run of the job overwrites them). */
export async function saveDay(
  db: Database,
  day: string,
  counts: ReadonlyMap<string, TypeCounts>,
  now: number,
): Promise<void> {
  await db.batch([
    db.delete(dailyStats).where(eq(dailyStats.day, day)),
    ...[...counts].map(([type, c]) =>
      db.insert(dailyStats).values({ day, type, ...c, updatedAt: now })
    ),
  ]);
}

export async function recentDays(
  db: Database,
  limit: number,
): Promise<{ day: string; type: string; sent: number; read: number }[]> {
  return await db.select({
    day: dailyStats.day,
    type: dailyStats.type,
    sent: dailyStats.sent,
    read: dailyStats.read,
  }).from(dailyStats).orderBy(desc(dailyStats.day)).limit(limit);
}
