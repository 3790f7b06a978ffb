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
import type {
  TypeChange,
  TypeShape,
} from "../../domain/catalogue/type_change.ts";
import type { Database } from "../database.ts";
import { schema } from "../database.ts";

const { preferences, notificationTypes } = schema;

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
    active: activeOf(first),
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
      active: activeOf(next),
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
 * "Active" — some type is on: a critical one, or any while notifications
 * are on — of a stored overrides document, in SQL against the catalogue's
 * own table, so a write never counts with a catalogue it missed.
 */
export function activeOf(doc: SQL): SQL<boolean> {
  return sql<boolean>`exists (
    select 1 from ${notificationTypes} as t
    where ${typeOn(doc, sql`t.id`, sql`t.definition`)}
  )`;
}

/**
 * Whether the type `id` (defined by `definition`, the stored JSON) is on
 * for the user whose overrides are `doc`: critical, or notifications on and
 * the type on by the user's say or else by the type's default.
 */
function typeOn(doc: SQL, id: SQL, definition: SQL): SQL<boolean> {
  return sql<boolean>`(
    json_extract(${definition}, '$.critical') = 1
    or (
      coalesce(json_extract(${doc}, '$.enabled'), 1) = 1
      and coalesce(
        json_extract(${doc}, '$.types.' || json_quote(${id}) || '.enabled'),
        json_extract(${definition}, '$.enabled')
      ) = 1
    )
  )`;
}

/** Who holds a user's reconcile lease: the id the holder took it under. */
export interface UserLease {
  userId: string;
  leaseId: string;
}

/**
 * Takes the user's reconcile lease when nobody holds it (or the holder's
 * lease ran out) and returns the row as of that moment. One statement, so
 * two reconcilers can never both win.
 */
export function acquireLeaseQuery(
  db: Database,
  { userId, leaseId, now, leaseMs }: UserLease & {
    now: number;
    leaseMs: number;
  },
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
  release: UserLease & { version: number },
): Promise<"synced" | "pending" | "lost"> {
  const rows = await releaseSyncedQuery(db, release);
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
  { userId, leaseId, version, whenRunning }: UserLease & {
    version: number;
    whenRunning?: boolean;
  },
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
  { userId, leaseId, error, retryAt }: UserLease & {
    error: string;
    retryAt: (attempts: number) => number;
  },
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

/**
 * Users whose reconcile is due: pending, retry time reached, lease free.
 * `interrupted`: the last holder never let go (its lease ran out rather
 * than being released), so it may have called QStash without recording it.
 */
export async function duePendingUsers(
  db: Database,
  now: number,
  limit: number,
): Promise<{ userId: string; interrupted: boolean }[]> {
  const rows = await db.select({
    userId: preferences.userId,
    leaseUntil: preferences.leaseUntil,
  }).from(preferences).where(and(
    eq(preferences.syncStatus, "pending"),
    or(isNull(preferences.nextSyncAt), lte(preferences.nextSyncAt, now)),
    or(isNull(preferences.leaseUntil), lt(preferences.leaseUntil, now)),
  )).orderBy(preferences.nextSyncAt).limit(limit);
  return rows.map((r) => ({
    userId: r.userId,
    interrupted: r.leaseUntil !== null,
  }));
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

/**
 * One page of the ids of users who have `type` on (a fan-out's audience):
 * active ones (their index) for whom the type is on, by their choice or the
 * type's default, as the catalogue stands when the page is read.
 */
export async function usersWithTypeOnPage(
  db: Database,
  type: string,
  afterUserId: string | null,
  limit: number,
): Promise<string[]> {
  const rows = await db.select({ userId: preferences.userId })
    .from(preferences).where(and(
      eq(preferences.active, true),
      afterUserId === null ? undefined : gt(preferences.userId, afterUserId),
      sql`exists (
        select 1 from ${notificationTypes} as t where t.id = ${type}
        and ${typeOn(sql`${preferences.data}`, sql`t.id`, sql`t.definition`)}
      )`,
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

/** Whether anybody has saved preferences. */
export async function anyPreferences(db: Database): Promise<boolean> {
  const rows = await db.select({ userId: preferences.userId })
    .from(preferences).limit(1);
  return rows.length > 0;
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

/**
 * The users a catalogue change moves (domain/type_change.ts), a page at a
 * time in id order: those for whom the type goes on or off, and those who
 * have it on and follow a default time or day that changed. Whoever chose
 * the changed fields for themselves is not among them.
 */
export async function usersMovedPage(
  db: Database,
  change: TypeChange,
  afterUserId: string | null,
  limit: number,
): Promise<string[]> {
  const doc = sql`${preferences.data}`;
  const at = (field: string) =>
    sql`json_extract(${doc}, ${`$.types.${change.type}.${field}`})`;
  const on = (shape: TypeShape | null): SQL =>
    shape === null ? sql`0` : shape.critical ? sql`1` : sql`(
      coalesce(json_extract(${doc}, '$.enabled'), 1) = 1
      and coalesce(${at("enabled")}, ${shape.enabled ? 1 : 0}) = 1
    )`;
  const { before, after } = change;
  const followed: SQL[] = [];
  if (before && after && before.times.join() !== after.times.join()) {
    followed.push(sql`${at("times")} is null`);
  }
  if (before && after && before.days.join() !== after.days.join()) {
    followed.push(sql`${at("days")} is null`);
  }
  // Parenthesised whole: and() does not wrap the conditions it joins.
  const moved = sql`((${on(before)}) <> (${on(after)})${
    followed.length
      ? sql` or ((${on(before)}) and (${sql.join(followed, sql` or `)}))`
      : sql``
  })`;
  const rows = await db.select({ userId: preferences.userId })
    .from(preferences).where(and(
      afterUserId === null ? undefined : gt(preferences.userId, afterUserId),
      moved,
    )).orderBy(asc(preferences.userId)).limit(limit);
  return rows.map((r) => r.userId);
}

/**
 * Marks users a catalogue change moved: a new version (a reconcile already
 * under way for one of them goes round again, with the new catalogue),
 * pending, and "active" counted again against the catalogue as it is now.
 */
export function markMovedQuery(db: Database, userIds: readonly string[]) {
  return db.update(preferences).set({
    version: sql`${preferences.version} + 1`,
    syncStatus: "pending",
    nextSyncAt: null,
    active: activeOf(sql`${preferences.data}`),
  }).where(inArray(preferences.userId, [...userIds]));
}
