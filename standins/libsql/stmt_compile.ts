/**
 * Turning a Hrana `Stmt` into something runnable, with sqld's checks in sqld's
 * order: resolve `sql`/`sql_id` (protocol errors), parse (SQL_PARSE_ERROR,
 * SQL_NO_STATEMENT, SQL_MANY_STATEMENTS), then the argument style. Binding the
 * arguments happens later, at execution, where sqld reports ARGS_INVALID.
 */
import {
  HranaError,
  isEngineError,
  isSyntaxError,
  parseError,
  ProtocolError,
} from "./errors.ts";
import type { HranaStmt, HranaValue } from "./hrana_schema.ts";
import { splitStatements } from "./sql_lexer.ts";
import { analyzeStatement, type StatementInfo } from "./sql_statement.ts";
import type { SqliteConnection } from "./sqlite_connection.ts";

export interface CompiledStmt {
  info: StatementInfo;
  /** Set when the statement has no named arguments (possibly an empty list). */
  positional: readonly HranaValue[] | null;
  named: ReadonlyMap<string, HranaValue> | null;
  wantRows: boolean;
}

export type SqlStore = ReadonlyMap<number, string>;

export function resolveSql(
  sql: string | null | undefined,
  sqlId: number | null | undefined,
  sqls: SqlStore,
): string {
  const hasSql = sql !== null && sql !== undefined;
  const hasId = sqlId !== null && sqlId !== undefined;
  if (hasSql && hasId) {
    throw new ProtocolError(
      "Either `sql` or `sql_id` are required, but not both",
    );
  }
  if (hasSql) return sql;
  if (!hasId) throw new ProtocolError("Either `sql` or `sql_id` are required");
  const stored = sqls.get(sqlId);
  if (stored === undefined) {
    throw new ProtocolError(`SQL text ${sqlId} not found`);
  }
  return stored;
}

/**
 * sqld parses SQL before SQLite prepares it, so a syntax error fails the whole
 * request while "no such table" fails only the step that runs. Preparing here
 * tells the two apart; other prepare errors are left for execution, when
 * earlier steps may have created the missing table.
 */
function checkSyntax(connection: SqliteConnection, sql: string): void {
  try {
    connection.prepare(sql);
  } catch (error) {
    if (isEngineError(error) && isSyntaxError(error)) {
      throw parseError(error.message);
    }
  }
}

/** All statements of a SQL text, for `sequence`. */
export function parseStatements(
  connection: SqliteConnection,
  sql: string,
): StatementInfo[] {
  const statements = splitStatements(sql).map(analyzeStatement);
  for (const statement of statements) checkSyntax(connection, statement.text);
  return statements;
}

export function parseSingleStatement(
  connection: SqliteConnection,
  sql: string,
): StatementInfo {
  const statements = splitStatements(sql);
  const [first] = statements;
  if (!first) {
    throw new HranaError(
      "SQL string does not contain any statement",
      "SQL_NO_STATEMENT",
    );
  }
  if (statements.length > 1) {
    throw new HranaError(
      "SQL string contains more than one statement",
      "SQL_MANY_STATEMENTS",
    );
  }
  checkSyntax(connection, first.text);
  return analyzeStatement(first);
}

export function compileStmt(
  connection: SqliteConnection,
  stmt: HranaStmt,
  sqls: SqlStore,
): CompiledStmt {
  const info = parseSingleStatement(
    connection,
    resolveSql(stmt.sql, stmt.sql_id, sqls),
  );
  const args = stmt.args ?? [];
  const namedArgs = stmt.named_args ?? [];
  if (args.length > 0 && namedArgs.length > 0) {
    throw new HranaError(
      "Specifying both positional and named arguments is not supported",
      "ARGS_BOTH_POSITIONAL_AND_NAMED",
    );
  }
  return {
    info,
    positional: namedArgs.length > 0 ? null : args,
    named: namedArgs.length > 0
      ? new Map(namedArgs.map((arg) => [arg.name, arg.value]))
      : null,
    wantRows: stmt.want_rows ?? true,
  };
}

/** A statement of a `sequence`: no arguments, no rows wanted. */
export function bareStmt(info: StatementInfo): CompiledStmt {
  return { info, positional: [], named: null, wantRows: false };
}
