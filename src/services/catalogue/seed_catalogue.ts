import { z } from "zod";
import { typeCreateSchema } from "../../domain/catalogue/notification_type.ts";
import {
  shapeOf,
  type TypeChange,
} from "../../domain/catalogue/type_change.ts";
import { insertType } from "../../store/catalogue/catalogue_store.ts";
import type { Database } from "../../store/database.ts";
import { insertOperation } from "../../store/control/operation_store.ts";
import { anyPreferences } from "../../store/preferences/preferences_store.ts";
import { RETYPE_FIRST_PHASE } from "../control/retype_steps.ts";

/**
 * A catalogue seed (`herald.types.json`): the types a deployment starts
 * with. Applying it creates the types that do not exist yet and leaves
 * every other alone (a type the operator changed through the API keeps the
 * change), so it is safe to apply on every deploy.
 */
export const catalogueSeedSchema = z.strictObject({
  $schema: z.string().optional(),
  types: z.array(typeCreateSchema),
});

export interface SeedResult {
  created: string[];
  kept: string[];
}

/**
 * Applies a seed. When users already have preferences, each type it makes
 * gets its retype operation, left for the maintenance sweep to run (the
 * seed runs where QStash may not be reachable, e.g. at migration time).
 */
export async function seedCatalogue(
  db: Database,
  seed: unknown,
  now: number,
): Promise<SeedResult> {
  const { types } = catalogueSeedSchema.parse(seed);
  const result: SeedResult = { created: [], kept: [] };
  const walk = await anyPreferences(db);
  for (const type of types) {
    const written = await insertType(db, type, now);
    if (!written) {
      result.kept.push(type.id);
      continue;
    }
    result.created.push(type.id);
    if (!walk) continue;
    const change: TypeChange = {
      type: type.id,
      before: null,
      after: shapeOf(written.type),
    };
    await insertOperation(db, {
      id: `op_${now.toString(36)}${crypto.randomUUID().slice(0, 8)}`,
      kind: "retype",
      phase: RETYPE_FIRST_PHASE,
      now,
      params: JSON.stringify(change),
      stalled: true,
    });
  }
  return result;
}
