import {
  and,
  desc,
  eq,
  inArray,
  isNotNull,
  lt,
  lte,
  notInArray,
  sql,
} from "drizzle-orm";
import type { Database } from "../database.ts";
import { schema } from "../database.ts";

const { pushSubscriptions: subs, preferences } = schema;

export type SubscriptionRow = typeof subs.$inferSelect;

export interface SubscriptionWrite {
  userId: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  expirationTime: number | null;
  label: string | null;
  /** Removed first, if it is this user's (a `pushsubscriptionchange`). */
  oldEndpoint: string | null;
  now: number;
  /** Rows kept per user: the least recently seen beyond it go. */
  keep: number;
}

/** What is said of a subscription once it is gone: never its keys. */
export interface RemovedSubscription {
  endpoint: string;
  userId: string;
  label: string | null;
}

const removedColumns = {
  endpoint: subs.endpoint,
  userId: subs.userId,
  label: subs.label,
};

/**
 * Saves one subscription in one batch: the rotated-away endpoint deleted,
 * the endpoint upserted (a repeat refreshes keys and last seen, keeps its
 * label unless a new one is given, and moves it to this user), and the
 * user's rows beyond `keep` — the least recently seen — deleted. Answers
 * the row and those the write replaced (the rotated-away one, the trimmed).
 */
export async function saveSubscription(
  db: Database,
  w: SubscriptionWrite,
): Promise<{ row: SubscriptionRow; replaced: RemovedSubscription[] }> {
  const upsert = db.insert(subs).values({
    endpoint: w.endpoint,
    userId: w.userId,
    p256dh: w.p256dh,
    auth: w.auth,
    label: w.label,
    expirationTime: w.expirationTime,
    createdAt: w.now,
    lastSeenAt: w.now,
  }).onConflictDoUpdate({
    target: subs.endpoint,
    set: {
      userId: w.userId,
      p256dh: w.p256dh,
      auth: w.auth,
      label: sql`coalesce(excluded.label, ${subs.label})`,
      expirationTime: w.expirationTime,
      lastSeenAt: w.now,
    },
  }).returning();
  const kept = db.select({ endpoint: subs.endpoint }).from(subs)
    .where(eq(subs.userId, w.userId))
    // Ties (the same millisecond) keep the most recently inserted.
    .orderBy(desc(subs.lastSeenAt), sql`rowid desc`).limit(w.keep);
  const trim = db.delete(subs).where(
    and(eq(subs.userId, w.userId), notInArray(subs.endpoint, kept)),
  ).returning(removedColumns);
  const [rotated, saved, trimmed] = await db.batch([
    db.delete(subs).where(
      and(
        eq(subs.userId, w.userId),
        eq(subs.endpoint, w.oldEndpoint ?? ""),
        sql`${subs.endpoint} <> ${w.endpoint}`,
      ),
    ).returning(removedColumns),
    upsert,
    trim,
  ]);
  const [row] = saved;
  if (!row) throw new Error("The subscription upsert returned nothing");
  return { row, replaced: [...rotated, ...trimmed] };
}

/** A user's subscriptions, most recently seen first. */
export async function listSubscriptions(
  db: Database,
  userId: string,
): Promise<SubscriptionRow[]> {
  return await db.select().from(subs).where(eq(subs.userId, userId))
    .orderBy(desc(subs.lastSeenAt));
}

/** True when the user had that subscription. */
export async function deleteSubscription(
  db: Database,
  userId: string,
  endpoint: string,
): Promise<boolean> {
  const rows = await db.delete(subs).where(
    and(eq(subs.userId, userId), eq(subs.endpoint, endpoint)),
  ).returning({ endpoint: subs.endpoint });
  return rows.length > 0;
}

/**
 * Every device of these users, each with its user's stored preferences
 * (null: never saved), whose channels say whether to push: a page of
 * recipients in one query.
 */
export async function devicesOf(
  db: Database,
  userIds: readonly string[],
): Promise<{ endpoint: string; userId: string; preferences: string | null }[]> {
  if (userIds.length === 0) return [];
  return await db.select({
    endpoint: subs.endpoint,
    userId: subs.userId,
    preferences: preferences.data,
  }).from(subs)
    .leftJoin(preferences, eq(preferences.userId, subs.userId))
    .where(inArray(subs.userId, [...userIds]));
}

/** The subscriptions at these endpoints that still belong to their user. */
export async function subscriptionsAt(
  db: Database,
  endpoints: readonly string[],
): Promise<SubscriptionRow[]> {
  if (endpoints.length === 0) return [];
  return await db.select().from(subs)
    .where(inArray(subs.endpoint, [...endpoints]));
}

/** Endpoints the push service said are gone (404/410): the rows removed. */
export async function removeEndpoints(
  db: Database,
  endpoints: readonly string[],
): Promise<RemovedSubscription[]> {
  if (endpoints.length === 0) return [];
  return await db.delete(subs)
    .where(inArray(subs.endpoint, [...endpoints]))
    .returning(removedColumns);
}

/**
 * The cron sweep in one batch: subscriptions the browser said expire by
 * `now`, then those unseen since `seenBefore`; the rows each removed.
 */
export async function removeStaleSubscriptions(
  db: Database,
  o: { now: number; seenBefore: number },
): Promise<{ expired: RemovedSubscription[]; unseen: RemovedSubscription[] }> {
  const [expired, unseen] = await db.batch([
    db.delete(subs).where(
      and(isNotNull(subs.expirationTime), lte(subs.expirationTime, o.now)),
    ).returning(removedColumns),
    db.delete(subs).where(lt(subs.lastSeenAt, o.seenBefore))
      .returning(removedColumns),
  ]);
  return { expired, unseen };
}
