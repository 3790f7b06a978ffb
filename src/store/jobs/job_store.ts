import { and, asc, eq } from "drizzle-orm";
import type { Database } from "../database.ts";
import { schema } from "../database.ts";

const { jobs } = schema;

export type JobRow = typeof jobs.$inferSelect;

export async function listJobs(db: Database): Promise<JobRow[]> {
  return await db.select().from(jobs).orderBy(asc(jobs.id));
}

export async function getJob(db: Database, id: string): Promise<JobRow | null> {
  const rows = await db.select().from(jobs).where(eq(jobs.id, id)).limit(1);
  return rows[0] ?? null;
}

/**
 * Creates or replaces a job definition, marked pending until its QStash
 * schedule is confirmed. Returns whether the job is new.
 */
export async function saveJob(
  db: Database,
  job: {
    id: string;
    name: string;
    trigger: string;
    target: string;
    runAtStartup: boolean;
  },
  now: number,
): Promise<{ created: boolean }> {
  const rows = await db.insert(jobs).values({
    ...job,
    syncStatus: "pending",
    createdAt: now,
    updatedAt: now,
  }).onConflictDoUpdate({
    target: jobs.id,
    set: {
      name: job.name,
      trigger: job.trigger,
      target: job.target,
      runAtStartup: job.runAtStartup,
      syncStatus: "pending",
      updatedAt: now,
    },
  }).returning({ createdAt: jobs.createdAt });
  return { created: rows[0]?.createdAt === now };
}

export async function markJobSynced(
  db: Database,
  id: string,
  trigger: string,
): Promise<void> {
  // Only if the trigger is still the one QStash got: a newer save stays
  // pending for the next reconcile.
  await db.update(jobs).set({ syncStatus: "synced" })
    .where(and(eq(jobs.id, id), eq(jobs.trigger, trigger)));
}

export async function deleteJob(db: Database, id: string): Promise<boolean> {
  const rows = await db.delete(jobs).where(eq(jobs.id, id))
    .returning({ id: jobs.id });
  return rows.length > 0;
}

export async function pendingJobs(db: Database): Promise<JobRow[]> {
  return await db.select().from(jobs).where(eq(jobs.syncStatus, "pending"));
}
