import {
  and,
  asc,
  eq,
  gt,
  inArray,
  isNotNull,
  isNull,
  lt,
  lte,
  or,
  sql,
} from "drizzle-orm";
import { z } from "zod";
import type { Membership } from "../../domain/schedules/slot_plan.ts";
import type { Database } from "../database.ts";
import { schema } from "../database.ts";

const { slotMembers, slots, schedules } = schema;

/** A member as stored, with its public id. */
export interface StoredMember extends Membership {
  id: string;
  since: number;
}

const memberColumns = {
  id: slotMembers.id,
  userId: slotMembers.userId,
  type: slotMembers.type,
  localTime: slotMembers.localTime,
  slot: slotMembers.slot,
  since: slotMembers.since,
};

/** One user's members, by id. */
export function membersOfUserQuery(db: Database, userId: string) {
  return db.select(memberColumns).from(slotMembers)
    .where(eq(slotMembers.userId, userId)).orderBy(slotMembers.id);
}

/** Members of the users in (`after`, `last`], for a restart page. */
export async function membersOfUserRange(
  db: Database,
  after: string | null,
  last: string,
): Promise<StoredMember[]> {
  return await db.select(memberColumns).from(slotMembers).where(and(
    after === null ? undefined : gt(slotMembers.userId, after),
    lte(slotMembers.userId, last),
  ));
}

/**
 * The writes that make one user's members `desired`: members that went
 * away are deleted, new ones inserted (joining now), and ones whose slot
 * changed moved; a member that stays keeps the time it joined.
 */
export function memberWrites(
  db: Database,
  userId: string,
  change: {
    remove: readonly string[];
    put: readonly (Membership & { id: string })[];
    now: number;
  },
) {
  return [
    ...(change.remove.length
      ? [
        db.delete(slotMembers).where(and(
          eq(slotMembers.userId, userId),
          inArray(slotMembers.id, [...change.remove]),
        )),
      ]
      : []),
    ...change.put.map((m) =>
      db.insert(slotMembers).values({
        id: m.id,
        userId: m.userId,
        type: m.type,
        localTime: m.localTime,
        slot: m.slot,
        since: change.now,
      }).onConflictDoUpdate({
        target: slotMembers.id,
        set: { slot: m.slot },
      })
    ),
  ];
}

/**
 * Moves members after a firing, each only if it is still where the firing
 * found it: a preference write that moved or removed it meanwhile wins.
 */
export function moveMemberQueries(
  db: Database,
  moves: readonly { id: string; from: string; to: string }[],
) {
  return moves.map((m) =>
    db.update(slotMembers).set({ slot: m.to })
      .where(and(eq(slotMembers.id, m.id), eq(slotMembers.slot, m.from)))
  );
}

/** One page of a slot's members, in id order. */
export async function slotMemberPage(
  db: Database,
  slot: string,
  after: string | null,
  limit: number,
): Promise<StoredMember[]> {
  return await db.select(memberColumns).from(slotMembers).where(and(
    eq(slotMembers.slot, slot),
    after === null ? undefined : gt(slotMembers.id, after),
  )).orderBy(asc(slotMembers.id)).limit(limit);
}

/** One page of members by id, optionally one user's (status). */
export async function memberPage(
  db: Database,
  q: { userId: string | null; after: string | null; limit: number },
): Promise<StoredMember[]> {
  return await db.select(memberColumns).from(slotMembers).where(and(
    q.userId === null ? undefined : eq(slotMembers.userId, q.userId),
    q.after === null ? undefined : gt(slotMembers.id, q.after),
  )).orderBy(asc(slotMembers.id)).limit(q.limit);
}

/** Which of `candidates` have at least one member (all slots when omitted). */
export async function occupiedSlots(
  db: Database,
  candidates?: readonly string[],
): Promise<Set<string>> {
  if (candidates?.length === 0) return new Set();
  const rows = await db.selectDistinct({ slot: slotMembers.slot })
    .from(slotMembers)
    .where(candidates ? inArray(slotMembers.slot, [...candidates]) : undefined);
  return new Set(rows.map((r) => r.slot));
}

/**
 * Which of `candidates` need their holder: members but no schedule, a
 * schedule but no members (by the ledger), or in doubt (`slotsInDoubt`).
 * One statement, so it can close the batch that wrote the members and see
 * them.
 */
export function slotsOutOfStepQuery(
  db: Database,
  candidates: readonly string[],
  now: number,
) {
  const values = sql.join(candidates.map((slot) => sql`(${slot})`), sql`, `);
  return db.all(sql`select c.column1 as slot from (values ${values}) as c
    where exists (select 1 from ${slotMembers} where ${slotMembers.slot} = c.column1)
      <> exists (select 1 from ${schedules}
        where ${schedules.id} = 'herald.s.' || c.column1 and ${schedules.type} = 'slot')
      or exists (select 1 from ${slots} where ${slots.slot} = c.column1
        and ${inDoubt(now)})`);
}

/**
 * A slot is in doubt when a holder took its lease and never released it
 * cleanly: it failed (or was cut off) somewhere between its QStash calls
 * and its ledger write, so neither the ledger nor anything else says what
 * QStash holds for it. A failed holder hands the lease back in doubt
 * (`releaseInDoubt`); one that vanished leaves it to run out. Either way
 * the lease id stays, and the next holder makes QStash match the members
 * whatever the ledger says.
 */
function inDoubt(now: number) {
  return and(
    isNotNull(slots.leaseId),
    or(isNull(slots.leaseUntil), lt(slots.leaseUntil, now)),
  );
}

/** Slots in doubt (see `inDoubt`), among `candidates` when given. */
export async function slotsInDoubt(
  db: Database,
  now: number,
  candidates?: readonly string[],
): Promise<string[]> {
  if (candidates?.length === 0) return [];
  const rows = await db.select({ slot: slots.slot }).from(slots).where(and(
    inDoubt(now),
    candidates ? inArray(slots.slot, [...candidates]) : undefined,
  ));
  return rows.map((r) => r.slot);
}

/** The slot names a slotsOutOfStepQuery answered, read not cast. */
export function outOfStepSlots(rows: unknown): string[] {
  return outOfStepRows.parse(rows).map((row) => row.slot);
}

const outOfStepRows = z.array(z.object({ slot: z.string() }));

/**
 * Takes a slot's lease when nobody holds it (or the holder's ran out); the
 * row is made on first use. Answers whether the slot was in doubt (see
 * `inDoubt`), or null when someone else holds it. One batch, one round
 * trip: the lease id is read before it is overwritten.
 */
export async function leaseSlot(
  db: Database,
  { slot, leaseId, now, leaseMs }: {
    slot: string;
    leaseId: string;
    now: number;
    leaseMs: number;
  },
): Promise<{ inDoubt: boolean } | null> {
  const [, before, leased] = await db.batch([
    db.insert(slots).values({ slot }).onConflictDoNothing(),
    db.select({ leaseId: slots.leaseId }).from(slots)
      .where(eq(slots.slot, slot)),
    db.update(slots).set({ leaseId, leaseUntil: now + leaseMs }).where(and(
      eq(slots.slot, slot),
      or(isNull(slots.leaseUntil), lt(slots.leaseUntil, now)),
    )).returning({ slot: slots.slot }),
  ]);
  if (leased.length !== 1) return null;
  return { inDoubt: (before[0]?.leaseId ?? null) !== null };
}

/**
 * Lets the slot go, but only if whether it has members is still what the
 * holder made QStash match: a member who joined or left meanwhile keeps the
 * lease with the holder, who goes round again (false). The only release
 * that clears the lease id, i.e. the doubt.
 */
export async function releaseSlotIf(
  db: Database,
  slot: string,
  leaseId: string,
  occupied: boolean,
): Promise<boolean> {
  const rows = await db.update(slots).set({ leaseId: null, leaseUntil: null })
    .where(and(
      eq(slots.slot, slot),
      eq(slots.leaseId, leaseId),
      sql`exists (select 1 from ${slotMembers} where ${slotMembers.slot} = ${slot}) = ${
        occupied ? 1 : 0
      }`,
    )).returning({ slot: slots.slot });
  return rows.length === 1;
}

/**
 * Gives a slot's lease back after a failure, in doubt: free for the next
 * holder, who will not trust the ledger for it. Also marks a slot whose
 * lease ran out and was released by a later holder meanwhile (this
 * holder's QStash call may have landed after that holder looked).
 */
export async function releaseInDoubt(
  db: Database,
  slot: string,
  leaseId: string,
): Promise<void> {
  await db.update(slots).set({ leaseId, leaseUntil: null }).where(and(
    eq(slots.slot, slot),
    or(eq(slots.leaseId, leaseId), isNull(slots.leaseId)),
  ));
}

/**
 * Gives a slot's lease back with QStash known to match the ledger (a holder
 * that went round too often while members kept changing).
 */
export async function dropSlotLease(
  db: Database,
  slot: string,
  leaseId: string,
): Promise<void> {
  await db.update(slots).set({ leaseId: null, leaseUntil: null })
    .where(and(eq(slots.slot, slot), eq(slots.leaseId, leaseId)));
}

/** Members per slot, for the slots' load (console heat map). */
export async function membersBySlot(
  db: Database,
): Promise<{ slot: string; members: number }[]> {
  const rows = await db.select({
    slot: slotMembers.slot,
    members: sql<number>`count(*)`,
  }).from(slotMembers).groupBy(slotMembers.slot);
  return rows.map((r) => ({ slot: r.slot, members: Number(r.members) }));
}
