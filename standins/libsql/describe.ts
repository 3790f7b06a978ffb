/** The `describe` request: what a statement takes and returns, without running it. */
import type { DescribeResult } from "./hrana_schema.ts";
import type { SqliteConnection } from "./sqlite_connection.ts";
import { parseSingleStatement } from "./stmt_compile.ts";
import { columnsOf, prepareStatement } from "./stmt_execute.ts";

const OPCODE_COLUMN = 1;
const P2_COLUMN = 3;
const WRITING_OPCODES = new Set(["Checkpoint", "Vacuum", "JournalMode"]);

/**
 * sqlite3_stmt_readonly() is not exposed by the binding, so read the program
 * listing instead: SQLite itself marks a statement as writing when it opens a
 * write transaction (`Transaction` with p2 != 0) or checkpoints, vacuums or
 * switches the journal mode. Transaction control (BEGIN, COMMIT) stays read-only.
 */
function isReadonly(connection: SqliteConnection, sql: string): boolean {
  const listing = prepareStatement(connection, `EXPLAIN ${sql}`).raw(true).all(
    [],
  );
  return !listing.some((row) => {
    if (!Array.isArray(row)) return false;
    const opcode: unknown = row[OPCODE_COLUMN];
    const p2: unknown = row[P2_COLUMN];
    if (opcode === "Transaction") return p2 !== 0n && p2 !== 0;
    return typeof opcode === "string" && WRITING_OPCODES.has(opcode);
  });
}

export function describeSql(
  connection: SqliteConnection,
  sql: string,
): DescribeResult {
  const info = parseSingleStatement(connection, sql);
  const statement = prepareStatement(connection, info.text);
  return {
    params: info.paramNames.map((name) => ({ name })),
    cols: columnsOf(statement),
    is_explain: info.isExplain,
    is_readonly: info.isExplain || isReadonly(connection, info.text),
  };
}
