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
  type SQL,
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

export interface PreferencesSave {
  userId: string;
  /** Taken with the write when the user's reconcile lease is free. */
  lease: { id: string; until: number };
  /**
   * A replacement of the stored overrides, or a patch merged into them by
   * SQLite's `json_patch` (domain/preference_overrides.ts).
   */
  write: { mode: "replace"; json: string } | { mode: "merge"; patch: string };
  /** `activeDefaultsJson()`: the catalogue's say on "active". */
  defaults: string;
  now: number;
}

/**
 * Saves a user's preferences in one statement, whoever else is writing them:
 * the row is created or replaced, or the patch is merged into it, by SQLite
 * under its write lock, so concurrent writers are applied one after another
 * and none has to retry. A write that changes nothing changes nothing (no
 * new version, nothing returned); otherwise the new version comes back with
 * the overrides before and after it, the row is marked pending reconcile,
 * and the reconcile lease is taken for `lease.id` if nobody holds it (the
 * returned `leaseId` says who does).
 */
export function savePreferencesQuery(db: Database, save: PreferencesSave) {
  const existing = sql`${preferences.data}`;
  const next = save.write.mode === "replace"
    ? sql`${save.write.json}`
    : sql`json_patch(${existing}, ${save.write.patch})`;
  const first = save.write.mode === "replace"
    ? next
    : sql`json_patch('{}', ${save.write.patch})`;
  return db.insert(preferences).values({
    userId: save.userId,
    version: 1,
    data: first,
    active: activeOf(first, save.defaults),
    updatedAt: save.now,
    syncStatus: "pending",
    leaseId: save.lease.id,
    leaseUntil: save.lease.until,
  }).onConflictDoUpdate({
    target: preferences.userId,
    set: {
      // Every right-hand side here reads the row as it was before.
      previousData: existing,
      data: next,
      version: sql`${preferences.version} + 1`,
      active: activeOf(next, save.defaults),
      updatedAt: save.now,
      syncStatus: "pending",
      nextSyncAt: null,
      leaseId: sql`case when ${
        leaseFree(save.now)
      } then ${save.lease.id} else ${preferences.leaseId} end`,
      leaseUntil: sql`case when ${
        leaseFree(save.now)
      } then ${save.lease.until} else ${preferences.leaseUntil} end`,
    },
    setWhere: sql`${next} <> ${existing}`,
  }).returning({
    ...columns,
    previousData: preferences.previousData,
    leaseId: preferences.leaseId,
  });
}

function leaseFree(now: number): SQL {
  return sql`(${preferences.leaseUntil} is null or ${preferences.leaseUntil} < ${now})`;
}

/**
 * "Active" — on, with at least one type on — of a stored overrides document,
 * in SQL, each field the user left out taking the catalogue's default.
 */
function activeOf(doc: SQL, defaults: string): SQL<boolean> {
  return sql<boolean>`(
    coalesce(json_extract(${doc}, '$.enabled'), json_extract(${defaults}, '$.enabled')) = 1
    and exists (
      select 1 from json_each(${defaults}, '$.types') as d
      where coalesce(
        json_extract(${doc}, '$.types.' || json_quote(d.key) || '.enabled'),
        json_extract(d.value, '$.enabled')
      ) = 1
    )
  )`;
}

/**
 * Takes the user's reconcile lease when nobody holds it (or the holder's
 * lease ran out) and returns the row as of that moment. One statement, so
 * two reconcilers can never both win.
 */
export function acquireLeaseQuery(
  db: Database,
  userId: string,
  leaseId: string,
  now: number,
  leaseMs: number,
) {
  return db.update(preferences).set({
    leaseId,
    leaseUntil: now + leaseMs,
  }).where(and(
    eq(preferences.userId, userId),
    or(isNull(preferences.leaseUntil), lt(preferences.leaseUntil, now)),
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

/**
 * Marks a user pending with a retry time, outside any lease: what is left
 * to do is idempotent (a slot sync), so a holder racing this costs at most
 * one more round.
 */
export async function markPending(
  db: Database,
  userId: string,
  error: string,
  retryAt: (attempts: number) => number,
): Promise<void> {
  const row = await db.select({ attempts: preferences.syncAttempts })
    .from(preferences).where(eq(preferences.userId, userId)).limit(1);
  const attempts = (row[0]?.attempts ?? 0) + 1;
  await db.update(preferences).set({
    syncStatus: "pending",
    syncAttempts: attempts,
    syncError: error,
    nextSyncAt: retryAt(attempts),
  }).where(eq(preferences.userId, userId));
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

/** The stored preferences of `userIds` (those who saved any). */
export async function preferencesOfUsers(
  db: Database,
  userIds: readonly string[],
): Promise<{ userId: string; data: string }[]> {
  if (userIds.length === 0) return [];
  return await db.select({ userId: preferences.userId, data: preferences.data })
    .from(preferences).where(inArray(preferences.userId, [...userIds]));
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
