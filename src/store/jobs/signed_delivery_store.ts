import { eq, lt } from "drizzle-orm";
import type { Database } from "../database.ts";
import { schema } from "../database.ts";

const { signedDeliveries } = schema;

/**
 * Takes a signed delivery by its signature's id for a run, and answers the
 * run it belongs to: `claim.runId` the first time, the first delivery's run
 * for the same signature posted again (a replay, however its unsigned
 * headers were changed).
 */
export async function claimSignedDelivery(
  db: Database,
  claim: { jti: string; runId: string; expiresAt: number },
): Promise<string> {
  const taken = await db.insert(signedDeliveries).values(claim)
    .onConflictDoNothing().returning({ runId: signedDeliveries.runId });
  if (taken[0]) return taken[0].runId;
  const [first] = await db.select({ runId: signedDeliveries.runId })
    .from(signedDeliveries).where(eq(signedDeliveries.jti, claim.jti));
  return first?.runId ?? claim.runId;
}

/** Forgets the signatures that expired before `now`: none can be posted again. */
export async function pruneSignedDeliveries(
  db: Database,
  now: number,
): Promise<void> {
  await db.delete(signedDeliveries).where(lt(signedDeliveries.expiresAt, now));
}
