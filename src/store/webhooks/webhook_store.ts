import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { Database } from "../database.ts";
import { schema } from "../database.ts";

const { webhookEndpoints: endpoints, webhookDeliveries: deliveries } = schema;

export type WebhookEndpointRow = typeof endpoints.$inferSelect;
export type WebhookDeliveryRow = typeof deliveries.$inferSelect;

/** Endpoints in the order they were made (there are few). */
export async function listEndpoints(
  db: Database,
): Promise<WebhookEndpointRow[]> {
  return await db.select().from(endpoints).orderBy(endpoints.createdAt);
}

export async function getEndpoint(
  db: Database,
  id: string,
): Promise<WebhookEndpointRow | null> {
  const rows = await db.select().from(endpoints).where(eq(endpoints.id, id))
    .limit(1);
  return rows[0] ?? null;
}

export async function insertEndpoint(
  db: Database,
  row: typeof endpoints.$inferInsert,
): Promise<WebhookEndpointRow> {
  const [made] = await db.insert(endpoints).values(row).returning();
  if (!made) throw new Error("The endpoint insert returned nothing");
  return made;
}

export async function updateEndpoint(
  db: Database,
  id: string,
  set: Partial<typeof endpoints.$inferInsert>,
): Promise<WebhookEndpointRow | null> {
  const rows = await db.update(endpoints).set(set)
    .where(eq(endpoints.id, id)).returning();
  return rows[0] ?? null;
}

export async function deleteEndpoint(
  db: Database,
  id: string,
): Promise<boolean> {
  const rows = await db.delete(endpoints).where(eq(endpoints.id, id))
    .returning({ id: endpoints.id });
  if (rows.length > 0) {
    await db.delete(deliveries).where(eq(deliveries.endpointId, id));
  }
  return rows.length > 0;
}

/**
 * The enabled endpoints whose filter asks for `type` (or only `onlyId`),
 * each with the last of `count` numbers taken from its sequence in the
 * same statement: two events never share a number, whatever runs at once.
 */
export async function takeSequences(
  db: Database,
  type: string,
  count: number,
  onlyId: string | null = null,
): Promise<{ id: string; sequence: number }[]> {
  const wants = sql`exists (select 1 from json_each(${endpoints.events})
    where json_each.value in (${type}, '*'))`;
  return await db.update(endpoints)
    .set({ sequence: sql`${endpoints.sequence} + ${count}` })
    .where(
      onlyId === null
        ? and(eq(endpoints.enabled, true), wants)
        : eq(endpoints.id, onlyId),
    )
    .returning({ id: endpoints.id, sequence: endpoints.sequence });
}

/**
 * What one attempt did to its endpoint: a success clears `failingSince`,
 * a failure sets it unless already set, a disabling keeps it and says why.
 */
export async function recordAttempt(
  db: Database,
  attempt: typeof deliveries.$inferInsert,
  endpoint:
    | { change: "succeeded" }
    | { change: "failed" }
    | { change: "disabled"; reason: string },
): Promise<void> {
  const id = attempt.endpointId;
  const now = attempt.at;
  await db.batch([
    db.insert(deliveries).values(attempt).onConflictDoNothing(),
    endpoint.change === "succeeded"
      ? db.update(endpoints).set({ failingSince: null })
        .where(eq(endpoints.id, id))
      : endpoint.change === "failed"
      ? db.update(endpoints).set({
        failingSince: sql`coalesce(${endpoints.failingSince}, ${now})`,
      }).where(eq(endpoints.id, id))
      : db.update(endpoints).set({
        enabled: false,
        disabledReason: endpoint.reason,
        updatedAt: now,
      }).where(eq(endpoints.id, id)),
  ]);
}

/** Recent attempts to one endpoint, newest first. */
export async function recentDeliveries(
  db: Database,
  endpointId: string,
  limit: number,
): Promise<WebhookDeliveryRow[]> {
  return await db.select().from(deliveries)
    .where(eq(deliveries.endpointId, endpointId))
    .orderBy(desc(deliveries.at), desc(deliveries.attempt)).limit(limit);
}

/** Deletes attempts older than `cutoff`; returns how many. */
export async function pruneDeliveries(
  db: Database,
  cutoff: number,
): Promise<number> {
  const rows = await db.delete(deliveries).where(lt(deliveries.at, cutoff))
    .returning({ id: deliveries.id });
  return rows.length;
}
