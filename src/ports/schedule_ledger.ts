import { eq } from "drizzle-orm";
import type { HeldSchedule } from "../domain/reconcile_diff.ts";
import type { DesiredSchedule } from "../domain/schedule_plan.ts";
import type { Database } from "./database.ts";
import { schema } from "./database.ts";

const { schedules } = schema;

/** What Herald last confirmed QStash holds for one user. */
export async function heldSchedulesOf(
  db: Database,
  userId: string,
): Promise<HeldSchedule[]> {
  return await db.select({
    id: schedules.id,
    cron: schedules.cron,
    destination: schedules.destination,
    body: schedules.body,
  }).from(schedules).where(eq(schedules.userId, userId))
    .orderBy(schedules.id);
}

/** Records a schedule QStash just accepted. */
export async function recordHeld(
  db: Database,
  s: DesiredSchedule,
  now: number,
): Promise<void> {
  const row = {
    cron: s.cron,
    destination: s.destination,
    body: s.body,
    type: s.type,
    localTime: s.localTime,
    userId: s.userId,
    updatedAt: now,
  };
  await db.insert(schedules).values({ id: s.id, ...row })
    .onConflictDoUpdate({ target: schedules.id, set: row });
}

/** Forgets a schedule QStash just deleted. */
export async function forgetHeld(db: Database, id: string): Promise<void> {
  await db.delete(schedules).where(eq(schedules.id, id));
}
