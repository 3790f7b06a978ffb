import type { Database } from "../database.ts";
import { schema } from "../database.ts";

const { startupMarks } = schema;

/** True for exactly one caller per marker, ever. */
export async function claimStartup(
  db: Database,
  marker: string,
  now: number,
): Promise<boolean> {
  const rows = await db.insert(startupMarks).values({ marker, createdAt: now })
    .onConflictDoNothing().returning({ marker: startupMarks.marker });
  return rows.length > 0;
}
