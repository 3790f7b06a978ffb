import { and, desc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import { channelName } from "../domain/channel.ts";
import type { NotificationView, Severity } from "../domain/notification.ts";
import type { Database } from "./database.ts";
import { schema } from "./database.ts";

const {
  notifications,
  notificationAudiences,
  notificationReads,
  fanoutOutbox,
  memberships,
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
  createdAt: number;
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
  n: NewNotification,
  audiences: readonly string[],
  /** When the sweep may take over the fan-out if the caller has not finished it. */
  fanoutRetryAt: number,
  unreadOf: string | null = null,
): Promise<
  { notification: StoredNotification; created: boolean; unread: number | null }
> {
  const row = { ...n, data: n.data ? JSON.stringify(n.data) : null };
  // Audience and outbox rows only follow a notification row that this very
  // batch inserted; a key conflict leaves the batch writing nothing.
  const exists =
    sql`exists (select 1 from ${notifications} where ${notifications.id} = ${n.id})`;
  const writes = [
    ...audiences.map((audience) =>
      db.run(sql`insert into ${notificationAudiences}
        (notification_id, audience, created_at)
        select ${n.id}, ${audience}, ${n.createdAt} where ${exists}`)
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
      unreadCountQuery(db, unreadOf),
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

/** A user's unread count, their memberships read inside the same query. */
function unreadCountQuery(db: Database, userId: string) {
  const a = notificationAudiences;
  const r = notificationReads;
  const theirs = db.select({ channel: memberships.channel }).from(memberships)
    .where(eq(memberships.userId, userId));
  return db.select({
    n: sql<number>`count(distinct ${a.notificationId})`,
  }).from(a)
    .leftJoin(
      r,
      and(eq(r.notificationId, a.notificationId), eq(r.userId, userId)),
    )
    .where(and(
      or(
        eq(a.audience, channelName({ kind: "user", name: userId })),
        inArray(a.audience, theirs),
      ),
      isNull(r.readAt),
    ));
}

function countIn(rows: readonly unknown[]): number | null {
  const [first] = rows;
  if (typeof first !== "object" || first === null || !("n" in first)) {
    return null;
  }
  const n = Number(first.n);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

export async function findByIdempotencyKey(
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
  n: Pick<
    NewNotification,
    "id" | "type" | "title" | "body" | "severity" | "data" | "createdAt"
  >,
  readAt: number | null,
): NotificationView {
  return {
    id: n.id,
    type: n.type,
    title: n.title,
    body: n.body,
    severity: n.severity,
    data: n.data,
    createdAt: new Date(n.createdAt).toISOString(),
    readAt: readAt === null ? null : new Date(readAt).toISOString(),
  };
}

export interface InboxPage {
  items: NotificationView[];
  /** Position after the last item, or null at the end. */
  next: { createdAt: number; id: string } | null;
}

/** One page of a user's inbox, newest first, across all their audiences. */
export async function listInbox(
  db: Database,
  q: {
    userId: string;
    audiences: readonly string[];
    unreadOnly: boolean;
    before: { createdAt: number; id: string } | null;
    limit: number;
  },
): Promise<InboxPage> {
  const a = notificationAudiences;
  const r = notificationReads;
  const rows = await db.selectDistinct({
    n: notifications,
    readAt: r.readAt,
  }).from(a)
    .innerJoin(notifications, eq(notifications.id, a.notificationId))
    .leftJoin(
      r,
      and(eq(r.notificationId, a.notificationId), eq(r.userId, q.userId)),
    )
    .where(and(
      inArray(a.audience, [...q.audiences]),
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
    ))
    .orderBy(desc(a.createdAt), desc(a.notificationId))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    items: page.map(({ n, readAt }) =>
      toView({ ...n, data: parseData(n.data) }, readAt)
    ),
    next: rows.length > q.limit && last
      ? { createdAt: last.n.createdAt, id: last.n.id }
      : null,
  };
}

/** Unread notifications across the user's audiences. */
export async function countUnread(
  db: Database,
  userId: string,
  audiences: readonly string[],
): Promise<number> {
  const a = notificationAudiences;
  const r = notificationReads;
  const rows = await db.select({
    n: sql<number>`count(distinct ${a.notificationId})`,
  }).from(a)
    .leftJoin(
      r,
      and(eq(r.notificationId, a.notificationId), eq(r.userId, userId)),
    )
    .where(and(inArray(a.audience, [...audiences]), isNull(r.readAt)));
  return Number(rows[0]?.n ?? 0);
}

/**
 * Unread counts of many users in one query, each over their own audience
 * and their memberships (read inside the query): what a broadcast's
 * reached users are told. Users with nothing unread are 0.
 */
export async function countUnreadOf(
  db: Database,
  userIds: readonly string[],
): Promise<Map<string, number>> {
  const counts = new Map(userIds.map((id) => [id, 0]));
  if (userIds.length === 0) return counts;
  const ids = JSON.stringify(userIds);
  const rows = await db.all<{ user_id: string; n: number }>(sql`
    with held (user_id, audience) as (
      select value, 'user:' || value from json_each(${ids})
      union
      select ${memberships.userId}, ${memberships.channel} from ${memberships}
      where ${memberships.userId} in (select value from json_each(${ids}))
    )
    select held.user_id as user_id,
      count(distinct ${notificationAudiences.notificationId}) as n
    from held
    join ${notificationAudiences}
      on ${notificationAudiences.audience} = held.audience
    left join ${notificationReads}
      on ${notificationReads.notificationId} = ${notificationAudiences.notificationId}
      and ${notificationReads.userId} = held.user_id
    where ${notificationReads.readAt} is null
    group by held.user_id`);
  for (const row of rows) counts.set(String(row.user_id), Number(row.n));
  return counts;
}

/**
 * Marks one notification read for a user. False when it is not in that
 * user's audiences (someone else's notification reads as not found).
 */
export async function markRead(
  db: Database,
  userId: string,
  notificationId: string,
  audiences: readonly string[],
  now: number,
): Promise<{ found: boolean; changed: boolean }> {
  const visible = await db.select({ id: notificationAudiences.notificationId })
    .from(notificationAudiences).where(and(
      eq(notificationAudiences.notificationId, notificationId),
      inArray(notificationAudiences.audience, [...audiences]),
    )).limit(1);
  if (!visible.length) return { found: false, changed: false };
  const inserted = await db.insert(notificationReads)
    .values({ userId, notificationId, readAt: now })
    .onConflictDoNothing()
    .returning({ id: notificationReads.notificationId });
  return { found: true, changed: inserted.length > 0 };
}

/** Marks everything in the user's audiences read; returns how many changed. */
export async function markAllRead(
  db: Database,
  userId: string,
  audiences: readonly string[],
  now: number,
): Promise<number> {
  const a = notificationAudiences;
  const result = await db.run(sql`insert or ignore into ${notificationReads}
    (user_id, notification_id, read_at)
    select distinct ${userId}, ${a.notificationId}, ${now} from ${a}
    where ${inArray(a.audience, [...audiences])}`);
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

export async function clearOutbox(db: Database, id: string): Promise<void> {
  await db.delete(fanoutOutbox).where(eq(fanoutOutbox.notificationId, id));
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
