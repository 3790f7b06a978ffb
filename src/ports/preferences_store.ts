import {
  and,
  asc,
  eq,
  gt,
  inArray,
  isNull,
  lt,
  lte,
  or,
  sql,
} from "drizzle-orm";
import type { Database } from "./database.ts";
import { schema } from "./database.ts";

const { preferences } = schema;

export interface StoredPreferences {
  userId: string;
  version: number;
  data: string;
  syncedVersion: number;
  syncStatus: "synced" | "pending";
}

const columns = {
  userId: preferences.userId,
  version: preferences.version,
  data: preferences.data,
  syncedVersion: preferences.syncedVersion,
  syncStatus: preferences.syncStatus,
};

export async function readStoredPreferences(
  db: Database,
  userId: string,
): Promise<StoredPreferences | null> {
  const rows = await readPreferencesQuery(db, userId);
  return rows[0] ?? null;
}

/** The statement behind readStoredPreferences, for a batch. */
export function readPreferencesQuery(db: Database, userId: string) {
  return db.select(columns).from(preferences)
    .where(eq(preferences.userId, userId)).limit(1);
}

export interface PreferencesWrite {
  userId: string;
  data: string;
  active: boolean;
  now: number;
}

/**
 * Saves a new version only if the row is still at `expectedVersion` (0 when
 * there is none yet), marking it pending reconcile in the same statement.
 * Returns the new version's row, or none when another write got there first.
 */
export function writePreferencesQuery(
  db: Database,
  write: PreferencesWrite,
  expectedVersion: number,
) {
  if (expectedVersion === 0) {
    return db.insert(preferences).values({
      userId: write.userId,
      version: 1,
      data: write.data,
      active: write.active,
      updatedAt: write.now,
      syncStatus: "pending",
    }).onConflictDoNothing().returning({ version: preferences.version });
  }
  return db.update(preferences).set({
    version: sql`${preferences.version} + 1`,
    data: write.data,
    active: write.active,
    updatedAt: write.now,
    syncStatus: "pending",
    nextSyncAt: null,
  }).where(and(
    eq(preferences.userId, write.userId),
    eq(preferences.version, expectedVersion),
  )).returning({ version: preferences.version });
}

/**
 * Takes the user's reconcile lease when nobody holds it (or the holder's
 * lease ran out) and returns the row as of that moment. One statement, so
 * two reconcilers can never both win.
 *
 * With `afterOwnWrite` it must directly follow writePreferencesQuery in a
 * batch and takes the lease only if that write changed the row (SQLite's
 * `changes()` still names the previous statement while this one's WHERE is
 * evaluated): a failed compare-and-set must not lease someone else's write.
 */
export function acquireLeaseQuery(
  db: Database,
  userId: string,
  leaseId: string,
  now: number,
  leaseMs: number,
  afterOwnWrite = false,
) {
  return db.update(preferences).set({
    leaseId,
    leaseUntil: now + leaseMs,
  }).where(and(
    eq(preferences.userId, userId),
    or(isNull(preferences.leaseUntil), lt(preferences.leaseUntil, now)),
    afterOwnWrite ? sql`changes() = 1` : undefined,
  )).returning(columns);
}

/**
 * Releases the lease after QStash was brought to `version`. The row is
 * synced only if no newer version was saved meanwhile; otherwise it stays
 * pending and the caller goes round again.
 */
export async function releaseLeaseSynced(
  db: Database,
  userId: string,
  leaseId: string,
  version: number,
): Promise<"synced" | "pending" | "lost"> {
  const rows = await releaseSyncedQuery(db, userId, leaseId, version);
  return rows[0]?.syncStatus ?? "lost";
}

/**
 * The statement behind releaseLeaseSynced, for a batch. With `whenRunning`
 * it only releases while the scheduler's running state is still that one
 * (nothing comes back otherwise), so a reconcile can release in the same
 * batch as its ledger writes unless a stop or start landed meanwhile.
 */
export function releaseSyncedQuery(
  db: Database,
  userId: string,
  leaseId: string,
  version: number,
  whenRunning?: boolean,
) {
  return db.update(preferences).set({
    leaseId: null,
    leaseUntil: null,
    syncedVersion: version,
    syncStatus:
      sql`case when ${preferences.version} = ${version} then 'synced' else 'pending' end`,
    syncAttempts: 0,
    syncError: null,
    nextSyncAt: null,
  }).where(and(
    eq(preferences.userId, userId),
    eq(preferences.leaseId, leaseId),
    whenRunning === undefined
      ? undefined
      : sql`coalesce((select ${schema.schedulerState.running} from ${schema.schedulerState} where ${schema.schedulerState.id} = 1), 1) = ${
        whenRunning ? 1 : 0
      }`,
  )).returning({ syncStatus: preferences.syncStatus });
}

/** Releases the lease after a failed attempt and sets when to try again. */
export async function releaseLeaseFailed(
  db: Database,
  userId: string,
  leaseId: string,
  error: string,
  retryAt: (attempts: number) => number,
): Promise<void> {
  const row = await db.select({ attempts: preferences.syncAttempts })
    .from(preferences).where(eq(preferences.userId, userId)).limit(1);
  const attempts = (row[0]?.attempts ?? 0) + 1;
  await db.update(preferences).set({
    leaseId: null,
    leaseUntil: null,
    syncStatus: "pending",
    syncAttempts: attempts,
    syncError: error,
    nextSyncAt: retryAt(attempts),
  }).where(and(
    eq(preferences.userId, userId),
    eq(preferences.leaseId, leaseId),
  ));
}

/** Users whose reconcile is due: pending, retry time reached, lease free. */
export async function duePendingUsers(
  db: Database,
  now: number,
  limit: number,
): Promise<string[]> {
  const rows = await db.select({ userId: preferences.userId })
    .from(preferences).where(and(
      eq(preferences.syncStatus, "pending"),
      or(isNull(preferences.nextSyncAt), lte(preferences.nextSyncAt, now)),
      or(isNull(preferences.leaseUntil), lt(preferences.leaseUntil, now)),
    )).orderBy(preferences.nextSyncAt).limit(limit);
  return rows.map((r) => r.userId);
}

/** One page of preferences rows by user id (restart, drift). */
export async function preferencesPage(
  db: Database,
  afterUserId: string | null,
  limit: number,
): Promise<StoredPreferences[]> {
  return await db.select(columns).from(preferences)
    .where(
      afterUserId === null ? undefined : gt(preferences.userId, afterUserId),
    )
    .orderBy(asc(preferences.userId)).limit(limit);
}

/** One page of active users' ids (fan-out jobs), from the `active` index. */
export async function activeUsersPage(
  db: Database,
  afterUserId: string | null,
  limit: number,
): Promise<string[]> {
  const rows = await db.select({ userId: preferences.userId })
    .from(preferences).where(and(
      eq(preferences.active, true),
      afterUserId === null ? undefined : gt(preferences.userId, afterUserId),
    )).orderBy(asc(preferences.userId)).limit(limit);
  return rows.map((r) => r.userId);
}

export async function countActiveUsers(db: Database): Promise<number> {
  const rows = await db.select({ n: sql<number>`count(*)` }).from(preferences)
    .where(eq(preferences.active, true));
  return Number(rows[0]?.n ?? 0);
}

/** Which of `userIds` have saved preferences. */
export async function usersWithPreferences(
  db: Database,
  userIds: readonly string[],
): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const rows = await db.select({ userId: preferences.userId })
    .from(preferences).where(inArray(preferences.userId, [...userIds]));
  return new Set(rows.map((r) => r.userId));
}
