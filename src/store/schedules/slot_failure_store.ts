import { desc, gte, lt, sql } from "drizzle-orm";
import type { Database } from "../database.ts";
import { schema } from "../database.ts";

const { slotFailures } = schema;

/** Records a member a firing could not serve (once per firing). */
export function slotFailureQuery(
  db: Database,
  f: {
    slot: string;
    firedAt: number;
    memberId: string;
    error: string;
    at: number;
  },
) {
  return db.insert(slotFailures).values(f).onConflictDoUpdate({
    target: [slotFailures.slot, slotFailures.firedAt, slotFailures.memberId],
    set: { error: f.error, at: f.at },
  });
}

/** The latest slot failure, as scheduler status shows it. */
export interface SlotFailure {
  slot: string;
  firedAt: number;
  error: string;
  at: number;
}

/**
 * Failures recorded at or after `since` (Herald's clock, ms): how many, and
 * the latest. Kept small by `pruneSlotFailures`, so a scan is cheap.
 */
export async function recentSlotFailures(
  db: Database,
  since: number,
): Promise<{ count: number; latest: SlotFailure | null }> {
  const recent = gte(slotFailures.at, since);
  const [counted, latest] = await Promise.all([
    db.select({ n: sql<number>`count(*)` }).from(slotFailures).where(recent),
    db.select({
      slot: slotFailures.slot,
      firedAt: slotFailures.firedAt,
      error: slotFailures.error,
      at: slotFailures.at,
    }).from(slotFailures).where(recent).orderBy(desc(slotFailures.at))
      .limit(1),
  ]);
  return { count: Number(counted[0]?.n ?? 0), latest: latest[0] ?? null };
}

/** Deletes the failures recorded before `cutoff`; how many went. */
export async function pruneSlotFailures(
  db: Database,
  cutoff: number,
): Promise<number> {
  const rows = await db.delete(slotFailures)
    .where(lt(slotFailures.at, cutoff))
    .returning({ slot: slotFailures.slot });
  return rows.length;
}
