import { userAudience } from "../../domain/delivery/audience.ts";
import {
  and,
  desc,
  eq,
  gt,
  inArray,
  isNull,
  lt,
  or,
  type SQL,
  sql,
} from "drizzle-orm";
import type {
  NotificationView,
  Severity,
} from "../../domain/delivery/notification.ts";
import type { PushPolicy } from "../../domain/push/push_policy.ts";
import type { Database } from "../database.ts";
import { schema } from "../database.ts";
import {
  heldAudiences,
  heldAudiencesOfSql,
  heldAudiencesSql,
  visibleThrough,
} from "./held_audiences.ts";

const {
  notifications,
  notificationAudiences,
  notificationReads,
  fanoutOutbox,
} = schema;

export interface NewNotification {
  id: string;
  type: string;
  title: string;
  body: string;
  severity: Severity;
  data: Record<string, unknown> | null;
  source: "api" | "schedule" | "job";
  idempotencyKey: string | null;
  /**
   * The API request's fingerprint (domain/request_fingerprint.ts), kept
   * with its idempotency key; null where there is no request to compare
   * (scheduled and job notifications, rows from before it was recorded).
   */
  requestHash?: string | null;
  /**
   * An ad hoc notification's Web Push policy; null or absent: its catalogue
   * type's (domain/push/push_policy.ts).
   */
  push?: PushPolicy | null;
  createdAt: number;
  /** After this the inbox, the count and replay leave it out; null: never. */
  expiresAt?: number | null;
}

export interface StoredNotification extends NewNotification {
  audiences: string[];
}

/**
 * Stores a notification, its audiences and its fan-out outbox row in one
 * batch (one transaction). With an idempotency key already used, nothing is
 * written and the earlier notification is returned with `created: false`.
 *
 * With `unreadOf`, the same batch also counts that user's unread
 * notifications — their own and their roles' and topics' — as of this
 * insert, so a notification and the count it changes reach the user's
 * stream without another round trip.
 */
export async function insertNotification(
  db: Database,
  stored: {
    notification: NewNotification;
    audiences: readonly string[];
    /** When the sweep may take over the fan-out if the caller has not finished it. */
    fanoutRetryAt: number;
    /** The one user whose unread count the batch also reads. */
    unreadOf?: string | null;
  },
): Promise<
  { notification: StoredNotification; created: boolean; unread: number | null }
> {
  const { notification: n, audiences, fanoutRetryAt } = stored;
  const unreadOf = stored.unreadOf ?? null;
  const row = { ...n, data: n.data ? JSON.stringify(n.data) : null };
  const expiresAt = n.expiresAt ?? null;
  // Audience and outbox rows only follow a notification row that this very
  // batch inserted; a key conflict leaves the batch writing nothing.
  const exists =
    sql`exists (select 1 from ${notifications} where ${notifications.id} = ${n.id})`;
  const writes = [
    ...audiences.map((audience) =>
      db.run(sql`insert into ${notificationAudiences}
        (notification_id, audience, created_at, expires_at)
        select ${n.id}, ${audience}, ${n.createdAt}, ${expiresAt}
        where ${exists}`)
    ),
    db.run(sql`insert into ${fanoutOutbox}
      (notification_id, attempts, next_attempt_at, created_at)
      select ${n.id}, 0, ${fanoutRetryAt}, ${n.createdAt} where ${exists}`),
  ];
  const insert = db.insert(notifications).values(row).onConflictDoNothing();
  let inserted: { rowsAffected: number };
  let unread: number | null = null;
  if (unreadOf === null) {
    [inserted] = await db.batch([insert, ...writes]);
  } else {
    const [first, ...rest] = await db.batch([
      insert,
      ...writes,
      unreadOfQuery(db, [unreadOf], n.createdAt),
    ]);
    inserted = first;
    const counted = rest.at(-1);
    unread = Array.isArray(counted) ? countIn(counted) : null;
  }
  // Only a conflict (nothing inserted) needs the earlier row looked up.
  if (n.idempotencyKey !== null && inserted.rowsAffected === 0) {
    const existing = await findByIdempotencyKey(db, n.idempotencyKey);
    if (existing && existing.id !== n.id) {
      return { notification: existing, created: false, unread: null };
    }
  }
  return {
    notification: { ...n, audiences: [...audiences] },
    created: true,
    unread,
  };
}

/** A notification for one user, as a slot page stores it. */
export interface UserNotification {
  notification: NewNotification;
  userId: string;
}

/**
 * Many notifications, each for one user (a slot page's occurrences), in
 * one libSQL batch whatever their number: the notifications, their
 * audiences and outbox rows (only behind a row this batch inserted, as in
 * `insertNotification`), which of them this batch created — a key already
 * used creates nothing — and every user's unread count as of the insert.
 * Rows travel as one JSON parameter per statement, so no page is too big
 * for SQLite's bound-parameter limit.
 */
export async function insertUserNotifications(
  db: Database,
  items: readonly UserNotification[],
  /** When the sweep may take over the fan-out if the caller has not finished it. */
  fanoutRetryAt: number,
): Promise<{ created: Set<string>; unread: Map<string, number> }> {
  if (items.length === 0) return { created: new Set(), unread: new Map() };
  const rows = JSON.stringify(items.map(({ notification: n, userId }) => ({
    id: n.id,
    type: n.type,
    title: n.title,
    body: n.body,
    severity: n.severity,
    data: n.data ? JSON.stringify(n.data) : null,
    source: n.source,
    key: n.idempotencyKey,
    hash: n.requestHash ?? null,
    at: n.createdAt,
    expires: n.expiresAt ?? null,
    audience: userAudience(userId),
  })));
  const field = (name: string) => sql.raw(`json_extract(value, '$.${name}')`);
  const inserted = sql`exists (select 1 from ${notifications}
    where ${notifications.id} = ${field("id")})`;
  const userIds = [...new Set(items.map((i) => i.userId))];
  const [, , , created, counted] = await db.batch([
    // "where true" keeps SQLite from reading "on conflict" as a join's.
    db.run(sql`insert into ${notifications} (id, type, title, body,
        severity, data, source, idempotency_key, request_hash, created_at,
        expires_at)
      select ${field("id")}, ${field("type")}, ${field("title")},
        ${field("body")}, ${field("severity")}, ${field("data")},
        ${field("source")}, ${field("key")}, ${field("hash")}, ${field("at")},
        ${field("expires")}
      from json_each(${rows}) where true
      on conflict do nothing`),
    db.run(sql`insert into ${notificationAudiences}
        (notification_id, audience, created_at, expires_at)
      select ${field("id")}, ${field("audience")}, ${field("at")},
        ${field("expires")}
      from json_each(${rows}) where ${inserted}`),
    db.run(sql`insert into ${fanoutOutbox}
        (notification_id, attempts, next_attempt_at, created_at)
      select ${field("id")}, 0, ${fanoutRetryAt}, ${field("at")}
      from json_each(${rows}) where ${inserted}`),
    db.all<{ id: string }>(sql`select ${notifications.id} as id
      from ${notifications} where ${notifications.id} in
        (select ${field("id")} from json_each(${rows}))`),
    unreadOfQuery(db, userIds, items[0]?.notification.createdAt ?? 0),
  ]);
  return {
    created: new Set(created.map((r) => String(r.id))),
    unread: unreadCounts(userIds, counted),
  };
}

/**
 * The notifications stored under these idempotency keys, with their
 * audiences: two queries for any number of keys.
 */
export async function findByIdempotencyKeys(
  db: Database,
  keys: readonly string[],
): Promise<Map<string, StoredNotification>> {
  const found = new Map<string, StoredNotification>();
  if (keys.length === 0) return found;
  const rows = await db.select().from(notifications)
    .where(inArray(notifications.idempotencyKey, [...keys]));
  if (rows.length === 0) return found;
  const audiences = await db.select().from(notificationAudiences)
    .where(
      inArray(notificationAudiences.notificationId, rows.map((r) => r.id)),
    );
  for (const row of rows) {
    if (row.idempotencyKey === null) continue;
    found.set(row.idempotencyKey, {
      ...row,
      data: parseData(row.data),
      audiences: audiences.filter((a) => a.notificationId === row.id)
        .map((a) => a.audience),
    });
  }
  return found;
}

function countIn(rows: readonly unknown[]): number | null {
  const [first] = rows;
  if (typeof first !== "object" || first === null || !("n" in first)) {
    return null;
  }
  const n = Number(first.n);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

async function findByIdempotencyKey(
  db: Database,
  key: string,
): Promise<StoredNotification | null> {
  const rows = await db.select().from(notifications)
    .where(eq(notifications.idempotencyKey, key)).limit(1);
  const row = rows[0];
  return row ? await withAudiences(db, row) : null;
}

export async function getNotification(
  db: Database,
  id: string,
): Promise<StoredNotification | null> {
  const rows = await db.select().from(notifications)
    .where(eq(notifications.id, id)).limit(1);
  const row = rows[0];
  return row ? await withAudiences(db, row) : null;
}

type NotificationRow = typeof notifications.$inferSelect;

/** Many notifications by id, without their audiences (one query). */
export async function notificationsByIds(
  db: Database,
  ids: readonly string[],
): Promise<Map<string, Omit<StoredNotification, "audiences">>> {
  if (ids.length === 0) return new Map();
  const rows = await db.select().from(notifications)
    .where(inArray(notifications.id, [...ids]));
  return new Map(
    rows.map((row) => [row.id, { ...row, data: parseData(row.data) }]),
  );
}

async function withAudiences(
  db: Database,
  row: NotificationRow,
): Promise<StoredNotification> {
  const audiences = await db.select({
    audience: notificationAudiences.audience,
  })
    .from(notificationAudiences)
    .where(eq(notificationAudiences.notificationId, row.id));
  return {
    ...row,
    data: parseData(row.data),
    audiences: audiences.map((a) => a.audience),
  };
}

function parseData(data: string | null): Record<string, unknown> | null {
  if (data === null) return null;
  const value: unknown = JSON.parse(data);
  return value && typeof value === "object" && !Array.isArray(value)
    ? value as Record<string, unknown>
    : null;
}

export function toView(
  n:
    & Pick<
      NewNotification,
      "id" | "type" | "title" | "body" | "severity" | "data" | "createdAt"
    >
    & { expiresAt?: number | null },
  readAt: number | null,
): NotificationView {
  const expiresAt = n.expiresAt ?? null;
  return {
    id: n.id,
    type: n.type,
    title: n.title,
    body: n.body,
    severity: n.severity,
    data: n.data,
    createdAt: new Date(n.createdAt).toISOString(),
    readAt: readAt === null ? null : new Date(readAt).toISOString(),
    ...(expiresAt === null
      ? {}
      : { expiresAt: new Date(expiresAt).toISOString() }),
  };
}

export interface InboxPage {
  items: NotificationView[];
  /** Position after the last item, or null at the end. */
  next: { createdAt: number; id: string } | null;
}

/**
 * One page of a user's inbox, newest first, across their held audiences
 * (store/held_audiences.ts: their own, and each role and topic since they
 * joined it).
 */
export async function listInbox(
  db: Database,
  q: {
    userId: string;
    unreadOnly: boolean;
    before: { createdAt: number; id: string } | null;
    limit: number;
    /** Herald's clock: what has expired by then is left out. */
    now: number;
    /** Each item with its `channels` counts (the operator's view). */
    withChannels?: boolean;
  },
): Promise<InboxPage> {
  const a = notificationAudiences;
  const r = notificationReads;
  const held = heldAudiences(db, q.userId);
  const rows = await db.with(held).selectDistinct({
    n: notifications,
    readAt: r.readAt,
  }).from(held)
    .innerJoin(a, visibleThrough(held))
    .innerJoin(notifications, eq(notifications.id, a.notificationId))
    .leftJoin(
      r,
      and(eq(r.notificationId, a.notificationId), eq(r.userId, q.userId)),
    )
    .where(and(
      q.before
        ? or(
          lt(a.createdAt, q.before.createdAt),
          and(
            eq(a.createdAt, q.before.createdAt),
            lt(a.notificationId, q.before.id),
          ),
        )
        : undefined,
      q.unreadOnly ? isNull(r.readAt) : undefined,
      or(isNull(a.expiresAt), gt(a.expiresAt, q.now)),
    ))
    .orderBy(desc(a.createdAt), desc(a.notificationId))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    items: page.map(({ n, readAt }) => {
      const view = toView({ ...n, data: parseData(n.data) }, readAt);
      return q.withChannels
        ? { ...view, channels: { live: n.liveCount, push: n.pushCount } }
        : view;
    }),
    next: rows.length > q.limit && last
      ? { createdAt: last.n.createdAt, id: last.n.id }
      : null,
  };
}

/** Unread notifications in the user's inbox, none expired at `now`. */
export async function countUnread(
  db: Database,
  userId: string,
  now: number,
): Promise<number> {
  return (await countUnreadOf(db, [userId], now)).get(userId) ?? 0;
}

/**
 * Unread counts of many users in one query, each over their own inbox
 * (held audiences as in `heldAudiencesSql()`, read inside the query): what a broadcast's
 * reached users are told. Users with nothing unread are 0.
 */
export async function countUnreadOf(
  db: Database,
  userIds: readonly string[],
  now: number,
): Promise<Map<string, number>> {
  if (userIds.length === 0) return new Map();
  return unreadCounts(userIds, await unreadOfQuery(db, userIds, now));
}

/** `countUnreadOf`'s query, to run alone or inside a batch. */
function unreadOfQuery(
  db: Database,
  userIds: readonly string[],
  now: number,
) {
  const a = notificationAudiences;
  const r = notificationReads;
  return db.all<{ user_id: string; n: number }>(sql`
    with held as (${heldAudiencesOfSql(userIds)})
    select held.held_user as user_id,
      count(distinct ${a.notificationId}) as n
    from held
    join ${a} on ${a.audience} = held.held_audience
      and ${a.createdAt} >= held.held_since
    left join ${r} on ${r.notificationId} = ${a.notificationId}
      and ${r.userId} = held.held_user
    where ${r.readAt} is null
      and (${a.expiresAt} is null or ${a.expiresAt} > ${now})
    group by held.held_user`);
}

/** Every user asked about, 0 where the query found nothing unread. */
function unreadCounts(
  userIds: readonly string[],
  rows: readonly { user_id: string; n: number }[],
): Map<string, number> {
  const counts = new Map(userIds.map((id) => [id, 0]));
  for (const row of rows) counts.set(String(row.user_id), Number(row.n));
  return counts;
}

/**
 * Marks one notification read for a user. False when it is not in their
 * inbox (someone else's, or a broadcast from before they joined, reads as
 * not found).
 */
export async function markRead(
  db: Database,
  userId: string,
  notificationId: string,
  now: number,
): Promise<{ found: boolean; changed: boolean }> {
  const held = heldAudiences(db, userId);
  const visible = await db.with(held)
    .select({ id: notificationAudiences.notificationId })
    .from(held).innerJoin(notificationAudiences, visibleThrough(held))
    .where(eq(notificationAudiences.notificationId, notificationId))
    .limit(1);
  if (!visible.length) return { found: false, changed: false };
  const inserted = await db.insert(notificationReads)
    .values({ userId, notificationId, readAt: now })
    .onConflictDoNothing()
    .returning({ id: notificationReads.notificationId });
  return { found: true, changed: inserted.length > 0 };
}

/** Marks everything in the user's inbox read; returns how many changed. */
export async function markAllRead(
  db: Database,
  userId: string,
  now: number,
): Promise<number> {
  const a = notificationAudiences;
  const result = await db.run(sql`with held as (${heldAudiencesSql(userId)})
    insert or ignore into ${notificationReads}
    (user_id, notification_id, read_at)
    select distinct ${userId}, ${a.notificationId}, ${now}
    from held join ${a} on ${a.audience} = held.held_audience
      and ${a.createdAt} >= held.held_since`);
  return result.rowsAffected;
}

export async function dueOutbox(
  db: Database,
  now: number,
  limit: number,
): Promise<string[]> {
  const rows = await db.select({ id: fanoutOutbox.notificationId })
    .from(fanoutOutbox).where(lt(fanoutOutbox.nextAttemptAt, now + 1))
    .orderBy(fanoutOutbox.nextAttemptAt).limit(limit);
  return rows.map((r) => r.id);
}

export async function outboxSize(db: Database): Promise<number> {
  const rows = await db.select({ n: sql<number>`count(*)` }).from(fanoutOutbox);
  return Number(rows[0]?.n ?? 0);
}

/**
 * A fan-out is done: its outbox rows go, and in the same batch each
 * notification records the live connections its publish reached
 * (`liveCount`; only those that reached any are written, so an hour of
 * offline users costs no more than before).
 */
export async function clearOutbox(
  db: Database,
  ids: string | readonly string[],
  live: ReadonlyMap<string, number> = new Map(),
): Promise<void> {
  const list = typeof ids === "string" ? [ids] : [...ids];
  if (list.length === 0) return;
  const clear = db.delete(fanoutOutbox)
    .where(inArray(fanoutOutbox.notificationId, list));
  const counts = [...live].filter(([, n]) => n > 0).map(([id, n]) =>
    db.update(notifications).set({ liveCount: n })
      .where(eq(notifications.id, id))
  );
  await db.batch([clear, ...counts]);
}

/** Adds pushes a push service accepted to their notifications' counts. */
export async function addPushCounts(
  db: Database,
  accepted: ReadonlyMap<string, number>,
): Promise<void> {
  const updates = [...accepted].filter(([, n]) => n > 0).map(([id, n]) =>
    db.update(notifications)
      .set({ pushCount: sql`${notifications.pushCount} + ${n}` })
      .where(eq(notifications.id, id))
  );
  const [first, ...rest] = updates;
  if (first) await db.batch([first, ...rest]);
}

export async function postponeOutbox(
  db: Database,
  id: string,
  nextAttemptAt: number,
): Promise<void> {
  await db.update(fanoutOutbox).set({
    attempts: sql`${fanoutOutbox.attempts} + 1`,
    nextAttemptAt,
  }).where(eq(fanoutOutbox.notificationId, id));
}

export async function isInOutbox(db: Database, id: string): Promise<boolean> {
  const rows = await db.select({ id: fanoutOutbox.notificationId })
    .from(fanoutOutbox).where(eq(fanoutOutbox.notificationId, id)).limit(1);
  return rows.length > 0;
}

/** A digest's item as a revision rewrites it. */
export interface Revision {
  id: string;
  userId: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  at: number;
}

/**
 * The statements that update a digest's item in place (the same id), for
 * the caller's own batch: its new content, made at `at` — so it lists among
 * the newest — and unread again for its user, each applied only while
 * `guard` holds; then the user's unread count. `revisedOf` reads the
 * answers.
 */
export function revisionStatements(db: Database, r: Revision, guard: SQL) {
  return [
    db.update(notifications).set({
      title: r.title,
      body: r.body,
      data: JSON.stringify(r.data),
      createdAt: r.at,
    }).where(and(eq(notifications.id, r.id), guard)).returning(),
    db.update(notificationAudiences).set({ createdAt: r.at })
      .where(and(eq(notificationAudiences.notificationId, r.id), guard)),
    db.delete(notificationReads).where(and(
      eq(notificationReads.notificationId, r.id),
      eq(notificationReads.userId, r.userId),
      guard,
    )),
    unreadOfQuery(db, [r.userId], r.at),
  ] as const;
}

type RevisionResults = [
  (typeof notifications.$inferSelect)[],
  unknown,
  unknown,
  Awaited<ReturnType<typeof unreadOfQuery>>,
];

/**
 * The revised item and its user's new unread count, from the answers of
 * `revisionStatements`; null when nothing was revised (the guard failed,
 * or the item is gone).
 */
export function revisedOf(
  r: Revision,
  [rows, , , counted]: RevisionResults,
): { notification: StoredNotification; unread: number } | null {
  const row = rows[0];
  if (!row) return null;
  return {
    notification: {
      ...row,
      data: parseData(row.data),
      audiences: [userAudience(r.userId)],
    },
    unread: unreadCounts([r.userId], counted).get(r.userId) ?? 0,
  };
}
