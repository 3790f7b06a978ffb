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
