import { createClient } from "@libsql/client";
import { migrate } from "drizzle-orm/libsql/migrator";
import { fileURLToPath } from "node:url";
import { openDatabase } from "../ports/database.ts";

const MIGRATIONS_FOLDER = fileURLToPath(
  new URL("../db/migrations", import.meta.url),
);

/**
 * Applies the committed drizzle migrations to `url`: the local Hrana server
 * (over HTTP, as a Worker reaches it), a `file:` database or Turso.
 */
export async function applyMigrations(
  url: string,
  authToken?: string,
): Promise<void> {
  const client = createClient({ url, authToken });
  try {
    await migrate(openDatabase(client), {
      migrationsFolder: MIGRATIONS_FOLDER,
    });
  } finally {
    client.close();
  }
}

if (import.meta.main) {
  const url = Deno.env.get("LIBSQL_URL");
  if (!url) {
    console.error("LIBSQL_URL is missing: set it to the database to migrate.");
    Deno.exit(1);
  }
  await applyMigrations(url, Deno.env.get("LIBSQL_AUTH_TOKEN"));
  console.log("Migrations applied.");
}
