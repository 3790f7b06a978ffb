import {
  and,
  desc,
  eq,
  inArray,
  isNotNull,
  lt,
  lte,
  notInArray,
  or,
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

/**
 * Saves one subscription in one batch: the rotated-away endpoint deleted,
 * the endpoint upserted (a repeat refreshes keys and last seen, keeps its
 * label unless a new one is given, and moves it to this user), and the
 * user's rows beyond `keep` — the least recently seen — deleted.
 */
export async function saveSubscription(
  db: Database,
  w: SubscriptionWrite,
): Promise<SubscriptionRow> {
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
  );
  const [, saved] = await db.batch([
    db.delete(subs).where(
      and(
        eq(subs.userId, w.userId),
        eq(subs.endpoint, w.oldEndpoint ?? ""),
        sql`${subs.endpoint} <> ${w.endpoint}`,
      ),
    ),
    upsert,
    trim,
  ]);
  const [row] = saved;
  if (!row) throw new Error("The subscription upsert returned nothing");
  return row;
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

/** Endpoints the push service said are gone (404/410). */
export async function removeEndpoints(
  db: Database,
  endpoints: readonly string[],
): Promise<number> {
  if (endpoints.length === 0) return 0;
  const rows = await db.delete(subs)
    .where(inArray(subs.endpoint, [...endpoints]))
    .returning({ endpoint: subs.endpoint });
  return rows.length;
}

/** The cron sweep: expired by the browser, or unseen since `seenBefore`. */
export async function removeStaleSubscriptions(
  db: Database,
  o: { now: number; seenBefore: number },
): Promise<number> {
  const rows = await db.delete(subs).where(or(
    and(isNotNull(subs.expirationTime), lte(subs.expirationTime, o.now)),
    lt(subs.lastSeenAt, o.seenBefore),
  )).returning({ endpoint: subs.endpoint });
  return rows.length;
}
