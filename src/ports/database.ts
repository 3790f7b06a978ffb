import type { Client } from "@libsql/client";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import * as schema from "../db/schema.ts";

export type Database = LibSQLDatabase<typeof schema>;

/**
 * Wraps a ready libSQL client in drizzle, so the same code serves
 * `@libsql/client/web` on Workers and `file:` on Deno. The caller owns the
 * client and closes it.
 */
export function openDatabase(client: Client): Database {
  return drizzle(client, { schema });
}

export { schema };
