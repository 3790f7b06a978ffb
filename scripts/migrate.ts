import { createClient } from "@libsql/client";
import { migrate } from "drizzle-orm/libsql/migrator";
import { fileURLToPath } from "node:url";
import { openDatabase } from "../src/store/database.ts";
import {
  seedCatalogue,
  type SeedResult,
} from "../src/services/catalogue/seed_catalogue.ts";

const MIGRATIONS_FOLDER = fileURLToPath(
  new URL("../src/db/migrations", import.meta.url),
);

/**
 * Applies the committed drizzle migrations to `url` (the local Hrana
 * server, as a Worker reaches it; a `file:` database; or Turso), then the
 * catalogue seed if one is given: types it names that do not exist yet are
 * made, the others are left as they are.
 */
export async function applyMigrations(
  url: string,
  opts: { authToken?: string; seed?: string } = {},
): Promise<SeedResult | null> {
  const client = createClient({ url, authToken: opts.authToken });
  try {
    const db = openDatabase(client);
    await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
    if (!opts.seed) return null;
    return await seedCatalogue(
      db,
      JSON.parse(await Deno.readTextFile(opts.seed)),
      Date.now(),
    );
  } finally {
    client.close();
  }
}

/**
 * `deno task db:migrate`: LIBSQL_URL (and LIBSQL_AUTH_TOKEN) name the
 * database; HERALD_TYPES the seed, else `herald.types.json` here if there
 * is one.
 */
if (import.meta.main) {
  const url = Deno.env.get("LIBSQL_URL");
  if (!url) {
    console.error("LIBSQL_URL is missing: set it to the database to migrate.");
    Deno.exit(1);
  }
  const seed = Deno.env.get("HERALD_TYPES") ??
    (await exists("herald.types.json") ? "herald.types.json" : undefined);
  const seeded = await applyMigrations(url, {
    authToken: Deno.env.get("LIBSQL_AUTH_TOKEN"),
    seed,
  });
  console.log("Migrations applied.");
  if (seeded) {
    console.log(
      `Catalogue from ${seed}: made ${seeded.created.length}, ` +
        `kept ${seeded.kept.length} as they are.`,
    );
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
