/** Running one compiled statement on a stream's connection, producing sqld's StmtResult. */
import { argsInvalid, stmtErrorFromEngine } from "./errors.ts";
import type { HranaValue, ProtoValue, StmtResult } from "./hrana_schema.ts";
import {
  type EngineValue,
  fromEngineValue,
  toEngineValue,
} from "./hrana_values.ts";
import type { EngineStatement, SqliteConnection } from "./sqlite_connection.ts";
import type { CompiledStmt } from "./stmt_compile.ts";

export function prepareStatement(
  connection: SqliteConnection,
  sql: string,
): EngineStatement {
  try {
    return connection.prepare(sql);
  } catch (error) {
    throw stmtErrorFromEngine(error);
  }
}

export function columnsOf(
  statement: EngineStatement,
): { name: string; decltype: string | null }[] {
  return statement.columns().map((column) => ({
    name: column.name,
    decltype: column.type,
  }));
}

function lookupArg(
  stmt: CompiledStmt,
  name: string | null,
  index: number,
): HranaValue | undefined {
  if (name === null || name.startsWith("?")) {
    const position = name === null ? index : Number(name.slice(1));
    return stmt.positional?.[position - 1];
  }
  // A named argument may be given with or without its prefix (`:a` or `a`).
  return stmt.named?.get(name) ?? stmt.named?.get(name.slice(1));
}

/** Binds by SQLite parameter index, failing like sqld on missing or extra values. */
function bindArgs(stmt: CompiledStmt): EngineValue[] {
  const names = stmt.info.paramNames;
  const provided = stmt.named?.size ?? stmt.positional?.length ?? 0;
  if (provided > names.length) {
    throw argsInvalid(
      `too many parameters, expected ${names.length} found ${provided}`,
    );
  }
  const values: EngineValue[] = [];
  for (const [position, name] of names.entries()) {
    const value = lookupArg(stmt, name, position + 1);
    if (value !== undefined) {
      values.push(toEngineValue(value));
    } else if (stmt.info.isExplain) {
      // sqld lets EXPLAIN run without values: the program is listed, not run.
      values.push(null);
    } else {
      throw argsInvalid(
        `value for parameter ${name ?? position + 1} not found`,
      );
    }
  }
  return values;
}

function encodeRow(row: unknown): ProtoValue[] {
  return Array.isArray(row) ? row.map(fromEngineValue) : [];
}

function emptyResult(started: number): StmtResult {
  return {
    cols: [],
    rows: [],
    affected_row_count: 0,
    last_insert_rowid: null,
    query_duration_ms: performance.now() - started,
  };
}

/** Throws HranaError for SQL failures; anything else is a server bug. */
export async function executeStmt(
  connection: SqliteConnection,
  stmt: CompiledStmt,
): Promise<StmtResult> {
  const started = performance.now();
  const { info } = stmt;
  if (info.isTransactionControl && info.paramNames.length === 0) {
    bindArgs(stmt);
    try {
      await connection.control(info.text);
    } catch (error) {
      throw stmtErrorFromEngine(error);
    }
    return emptyResult(started);
  }
  const statement = prepareStatement(connection, info.text);
  const cols = columnsOf(statement);
  const values = bindArgs(stmt);
  let rows: unknown[];
  try {
    rows = await connection.execute(statement, values, info);
  } catch (error) {
    throw stmtErrorFromEngine(error);
  }
  // changes() is not reset by a SELECT, so sqld only reports it for writes.
  const outcome = info.isIud ? connection.lastWriteOutcome() : undefined;
  return {
    cols,
    rows: stmt.wantRows ? rows.map(encodeRow) : [],
    affected_row_count: outcome ? Number(outcome.changes) : 0,
    last_insert_rowid: outcome && info.isInsert
      ? outcome.lastInsertRowid.toString()
      : null,
    query_duration_ms: performance.now() - started,
  };
}
