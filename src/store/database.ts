import type { Client } from "@libsql/client";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import * as schema from "../db/schema.ts";

export type Database = LibSQLDatabase;

/**
 * Wraps a ready libSQL client in drizzle, so the same code serves
 * `@libsql/client/web` on Workers and `file:` on Deno. The caller owns the
 * client and closes it. Queries name their tables, so drizzle gets no schema:
 * it would rebuild its relational config on every request for nothing.
 */
export function openDatabase(client: Client): Database {
  return drizzle(client);
}

export { schema };
