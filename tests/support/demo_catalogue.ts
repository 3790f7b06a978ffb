import seed from "../../herald.types.json" with { type: "json" };
import {
  type Catalogue,
  catalogueOf,
} from "../../src/domain/catalogue/catalogue.ts";
import { catalogueSeedSchema } from "../../src/services/catalogue/seed_catalogue.ts";

/**
 * The demo catalogue every local stack is seeded with (`herald.types.json`),
 * for tests of pure logic that need one.
 */
export const DEMO: Catalogue = catalogueOf(
  catalogueSeedSchema.parse(seed).types,
);
