import { and, asc, eq, inArray, lte, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type {
  IfPast,
  InstantStatus,
} from "../../domain/delivery/deliver_at.ts";
import { SEVERITIES } from "../../domain/delivery/notification.ts";
import type { Database } from "../database.ts";
import { schema } from "../database.ts";

const { scheduledSends, scheduledInstants, scheduledRecipients } = schema;

/** The notification a send makes at each instant. */
const sendContentSchema = z.object({
  type: z.string(),
  title: z.string(),
  body: z.string(),
  severity: z.enum(SEVERITIES),
  data: z.record(z.string(), z.unknown()).nullable(),
  /** Milliseconds from delivery, or an instant, when the item expires. */
  expires: z.union([
    z.object({ after: z.number().int() }),
    z.object({ at: z.number().int() }),
  ]).nullable().default(null),
});
export type SendContent = z.output<typeof sendContentSchema>;

const channelList = z.array(z.string());

export interface ScheduledSend {
  id: string;
  deliverAt: string;
  ifPast: IfPast;
  content: SendContent;
  skipped: string[];
  idempotencyKey: string | null;
  requestHash: string | null;
  cancelledAt: number | null;
  createdAt: number;
}

export interface ScheduledInstant {
  key: string;
  at: number;
  /** Channel names: "user:ada", or a broadcast's "role:ops". */
  recipients: string[];
  /** False once quiet hours deferred it: it is not deferred again. */
  quiet: boolean;
  status: InstantStatus;
  doneAt: number | null;
}

/** A new instant: pending until its delivery or a cancel claims it. */
export type NewInstant = Pick<
  ScheduledInstant,
  "key" | "at" | "recipients" | "quiet"
>;

/**
 * Stores a send and its instants in one batch. With an Idempotency-Key
 * already used nothing is written and the earlier send is answered, with
 * `created: false`.
 */
export async function insertScheduledSend(
  db: Database,
  send: Omit<ScheduledSend, "cancelledAt">,
  instants: readonly NewInstant[],
): Promise<{ send: ScheduledSend; created: boolean }> {
  const exists = sql`exists (select 1 from ${scheduledSends}
    where ${scheduledSends.id} = ${send.id})`;
  const [inserted] = await db.batch([
    db.insert(scheduledSends).values({
      ...send,
      content: JSON.stringify(send.content),
      skipped: JSON.stringify(send.skipped),
    }).onConflictDoNothing(),
    ...instants.map((i) =>
      db.run(sql`insert into ${scheduledInstants}
        (send_id, key, at, recipients, quiet, status)
        select ${send.id}, ${i.key}, ${i.at}, ${JSON.stringify(i.recipients)},
          ${i.quiet ? 1 : 0}, 'pending' where ${exists}`)
    ),
    recipientRows(db, send.id, instants, exists),
  ]);
  if (inserted.rowsAffected === 0 && send.idempotencyKey !== null) {
    const rows = await db.select({ id: scheduledSends.id })
      .from(scheduledSends)
      .where(eq(scheduledSends.idempotencyKey, send.idempotencyKey));
    const earlier = rows[0] && await getScheduledSend(db, rows[0].id);
    if (earlier) return { send: earlier.send, created: false };
  }
  return { send: { ...send, cancelledAt: null }, created: true };
}

/**
 * The user recipients of a send's instants as rows of
 * `scheduled_recipients`: one statement for them all (the lists read in
 * SQL), written only while `guard` holds — checked once, not per row.
 */
function recipientRows(
  db: Database,
  sendId: string,
  instants: readonly NewInstant[],
  guard: SQL,
) {
  const list = JSON.stringify(
    instants.map((i) => ({ key: i.key, at: i.at, to: i.recipients })),
  );
  return db.run(sql`insert into ${scheduledRecipients}
    (user_id, at, send_id, key)
    select substr(r.value, 6), i.value ->> 'at', ${sendId}, i.value ->> 'key'
    from json_each(${list}) i, json_each(i.value -> 'to') r
    where r.value like 'user:%' and ${guard}
    on conflict do nothing`);
}

/** Removes a send whose messages could not be published. */
export async function deleteScheduledSend(
  db: Database,
  id: string,
): Promise<void> {
  await db.batch([
    db.delete(scheduledRecipients).where(eq(scheduledRecipients.sendId, id)),
    db.delete(scheduledInstants).where(eq(scheduledInstants.sendId, id)),
    db.delete(scheduledSends).where(eq(scheduledSends.id, id)),
  ]);
}

/** One instant still to deliver to a user, with what it sends. */
export interface PendingForUser {
  sendId: string;
  at: number;
  quiet: boolean;
  content: SendContent;
}

/**
 * The instants still pending for one user up to `until`, earliest first
 * (one still pending past its time is late, not gone: it is listed too).
 */
export async function pendingForUser(
  db: Database,
  q: { userId: string; until: number },
): Promise<PendingForUser[]> {
  const r = scheduledRecipients;
  const i = scheduledInstants;
  const rows = await db.select({
    sendId: r.sendId,
    at: r.at,
    quiet: i.quiet,
    content: scheduledSends.content,
  }).from(r)
    .innerJoin(i, and(eq(i.sendId, r.sendId), eq(i.key, r.key)))
    .innerJoin(scheduledSends, eq(scheduledSends.id, r.sendId))
    .where(and(
      eq(r.userId, q.userId),
      lte(r.at, q.until),
      eq(i.status, "pending"),
    ))
    .orderBy(asc(r.at));
  return rows.map((row) => ({
    ...row,
    content: sendContentSchema.parse(JSON.parse(row.content)),
  }));
}

/** A send with its instants, earliest first; null when there is none. */
export async function getScheduledSend(
  db: Database,
  id: string,
): Promise<{ send: ScheduledSend; instants: ScheduledInstant[] } | null> {
  const [sends, instants] = await db.batch([
    db.select().from(scheduledSends).where(eq(scheduledSends.id, id)),
    db.select().from(scheduledInstants)
      .where(eq(scheduledInstants.sendId, id))
      .orderBy(asc(scheduledInstants.at), asc(scheduledInstants.key)),
  ]);
  const row = sends[0];
  if (!row) return null;
  return {
    send: {
      ...row,
      content: sendContentSchema.parse(JSON.parse(row.content)),
      skipped: channelList.parse(JSON.parse(row.skipped)),
    },
    instants: instants.map(toInstant),
  };
}

function toInstant(
  row: typeof scheduledInstants.$inferSelect,
): ScheduledInstant {
  return {
    key: row.key,
    at: row.at,
    recipients: channelList.parse(JSON.parse(row.recipients)),
    quiet: row.quiet,
    status: row.status,
    doneAt: row.doneAt,
  };
}

/**
 * Claims an instant for delivery: `pending` becomes `sent` in one
 * conditional update, so of a delivery and a cancel exactly one wins.
 * `claimed` is this delivery's win; `again` an instant claimed before (a
 * retried message, which delivers idempotently); `cancelled` and `missing`
 * deliver nothing.
 */
export async function claimInstant(
  db: Database,
  at: { sendId: string; key: string; now: number },
): Promise<
  | { state: "claimed"; instant: ScheduledInstant }
  | { state: "again"; instant: ScheduledInstant }
  | { state: "cancelled" }
  | { state: "missing" }
> {
  const here = and(
    eq(scheduledInstants.sendId, at.sendId),
    eq(scheduledInstants.key, at.key),
  );
  const claimed = await db.update(scheduledInstants)
    .set({ status: "sent", doneAt: at.now })
    .where(and(here, eq(scheduledInstants.status, "pending")))
    .returning();
  const won = claimed[0];
  if (won) return { state: "claimed", instant: toInstant(won) };
  const rows = await db.select().from(scheduledInstants).where(here);
  const row = rows[0];
  if (!row) return { state: "missing" };
  if (row.status === "cancelled") return { state: "cancelled" };
  return { state: "again", instant: toInstant(row) };
}

/**
 * Adds an instant to a send (quiet hours' deferral); a repeat adds nothing.
 * False when the send was cancelled meanwhile: nothing is added, since the
 * cancel could not have stopped an instant that did not exist yet.
 */
export async function addInstant(
  db: Database,
  sendId: string,
  instant: NewInstant,
): Promise<boolean> {
  const [, , sends] = await db.batch([
    db.run(sql`insert into ${scheduledInstants}
      (send_id, key, at, recipients, quiet, status)
      select ${sendId}, ${instant.key}, ${instant.at},
        ${JSON.stringify(instant.recipients)}, ${instant.quiet ? 1 : 0},
        'pending'
      where not exists (select 1 from ${scheduledSends}
        where id = ${sendId} and cancelled_at is not null)
      on conflict do nothing`),
    recipientRows(
      db,
      sendId,
      [instant],
      sql`exists (select 1 from ${scheduledInstants}
        where send_id = ${sendId} and key = ${instant.key})`,
    ),
    db.select({ cancelledAt: scheduledSends.cancelledAt }).from(scheduledSends)
      .where(eq(scheduledSends.id, sendId)),
  ]);
  return sends[0]?.cancelledAt == null;
}

/**
 * Cancels every instant of a send not yet claimed, in one transaction
 * with marking the send cancelled (when any instant now is). Answers the
 * instants this call cancelled.
 */
export async function cancelPendingInstants(
  db: Database,
  sendId: string,
  now: number,
): Promise<ScheduledInstant[]> {
  const [cancelled] = await db.batch([
    db.update(scheduledInstants).set({ status: "cancelled", doneAt: now })
      .where(and(
        eq(scheduledInstants.sendId, sendId),
        eq(scheduledInstants.status, "pending"),
      ))
      .returning(),
    db.run(sql`update ${scheduledSends}
      set cancelled_at = coalesce(cancelled_at, ${now})
      where id = ${sendId} and exists (select 1 from ${scheduledInstants}
        where send_id = ${sendId} and status = 'cancelled')`),
  ]);
  return cancelled.map(toInstant);
}

/**
 * Deletes up to `limit` sends, oldest first, made before `before` and
 * finished before it too: no instant still pending, none delivered or
 * cancelled since (a send made long ago may have delivered only lately).
 * Answers how many went.
 */
export async function pruneScheduledSends(
  db: Database,
  before: number,
  limit: number,
): Promise<number> {
  const rows = await db.select({ id: scheduledSends.id }).from(scheduledSends)
    .where(sql`${scheduledSends.createdAt} < ${before} and not exists (
      select 1 from ${scheduledInstants}
      where ${scheduledInstants.sendId} = ${scheduledSends.id}
        and (${scheduledInstants.status} = 'pending'
          or ${scheduledInstants.doneAt} >= ${before}))`)
    .orderBy(asc(scheduledSends.createdAt)).limit(limit);
  const ids = rows.map((r) => r.id);
  if (ids.length === 0) return 0;
  await db.batch([
    db.delete(scheduledRecipients)
      .where(inArray(scheduledRecipients.sendId, ids)),
    db.delete(scheduledInstants).where(inArray(scheduledInstants.sendId, ids)),
    db.delete(scheduledSends).where(inArray(scheduledSends.id, ids)),
  ]);
  return ids.length;
}
