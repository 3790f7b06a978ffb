import { eq } from "drizzle-orm";
import type { Database } from "../database.ts";
import { schema } from "../database.ts";

const { schedulerState } = schema;
const ROW = 1;

/** Whether Herald's schedules should be running; true until first stopped. */
export async function readSchedulerRunning(db: Database): Promise<boolean> {
  return runningOf(await runningQuery(db));
}

/** The statement behind readSchedulerRunning, for a batch. */
export function runningQuery(db: Database) {
  return db.select({ running: schedulerState.running })
    .from(schedulerState).where(eq(schedulerState.id, ROW)).limit(1);
}

export function runningOf(rows: readonly { running: boolean }[]): boolean {
  return rows[0]?.running ?? true;
}

export async function writeSchedulerRunning(
  db: Database,
  running: boolean,
  now: number,
): Promise<void> {
  await db.insert(schedulerState).values({ id: ROW, running, updatedAt: now })
    .onConflictDoUpdate({
      target: schedulerState.id,
      set: { running, updatedAt: now },
    });
}
