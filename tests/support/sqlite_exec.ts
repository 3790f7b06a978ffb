import { DatabaseSync } from "node:sqlite";
import type { SqlExec } from "../../src/realtime/object/sqlite_shard_log.ts";

/**
 * A Durable Object's `sql.exec` over Deno's own SQLite, for unit tests of
 * code that runs SQL in a shard: same statements, same engine, in memory.
 */
export function sqliteExec(): SqlExec & { close(): void } {
  const db = new DatabaseSync(":memory:");
  return {
    exec(query, ...bindings) {
      const rows = db.prepare(query).all(...bindings).map((row) =>
        Object.fromEntries(
          Object.entries(row).map(([key, value]) => [key, plain(value)]),
        )
      );
      return { toArray: () => rows };
    },
    close: () => db.close(),
  };
}

function plain(value: unknown): string | number | null {
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "string" || typeof value === "number") return value;
  if (value === null) return null;
  throw new Error(`Unexpected SQLite value ${String(value)}`);
}
