/**
 * The `pipeline` endpoint: run every request of the body on one stream, in
 * order, collecting per-request errors without stopping. A protocol error (or a
 * server bug) aborts the HTTP request and drops the stream, as in sqld.
 */
import {
  compileBatch,
  executeBatch,
  executeSequence,
  type ProtocolVersion,
} from "./batch_execute.ts";
import { describeSql } from "./describe.ts";
import { HranaError, ProtocolError } from "./errors.ts";
import type {
  StreamRequest,
  StreamResponse,
  StreamResult,
} from "./hrana_schema.ts";
import { compileStmt, resolveSql } from "./stmt_compile.ts";
import { executeStmt } from "./stmt_execute.ts";
import type { HranaStream, StreamRegistry } from "./stream_registry.ts";

const MAX_STORED_SQLS = 50;
const MAX_STORED_SQL_BYTES = 5_000;

export interface PipelineBody {
  baton?: string | null;
  requests: StreamRequest[];
}

export interface PipelineResponse {
  baton: string | null;
  base_url: null;
  results: StreamResult[];
}

function storeSql(stream: HranaStream, sqlId: number, sql: string): void {
  if (stream.sqls.has(sqlId)) {
    throw new ProtocolError(`SQL text ${sqlId} already exists`);
  }
  if (stream.sqls.size >= MAX_STORED_SQLS) {
    throw new HranaError(
      `The server already stores ${stream.sqls.size} SQL texts, it cannot store more`,
      "SQL_STORE_TOO_MANY",
    );
  }
  const size = new TextEncoder().encode(sql).length;
  if (size > MAX_STORED_SQL_BYTES) {
    throw new HranaError(
      `The statement is too large to be stored: ${size} B/${MAX_STORED_SQL_BYTES} B`,
      "SQL_STORE_TOO_LARGE",
    );
  }
  stream.sqls.set(sqlId, sql);
}

async function respond(
  stream: HranaStream,
  request: StreamRequest,
  version: ProtocolVersion,
): Promise<StreamResponse> {
  switch (request.type) {
    case "close":
      stream.close();
      return { type: "close" };
    case "execute": {
      const connection = stream.connection();
      const stmt = compileStmt(connection, request.stmt, stream.sqls);
      return { type: "execute", result: await executeStmt(connection, stmt) };
    }
    case "batch": {
      const connection = stream.connection();
      const batch = compileBatch(
        connection,
        request.batch,
        stream.sqls,
        version,
      );
      return { type: "batch", result: await executeBatch(connection, batch) };
    }
    case "sequence": {
      const connection = stream.connection();
      await executeSequence(
        connection,
        resolveSql(request.sql, request.sql_id, stream.sqls),
      );
      return { type: "sequence" };
    }
    case "describe": {
      const connection = stream.connection();
      const sql = resolveSql(request.sql, request.sql_id, stream.sqls);
      return { type: "describe", result: describeSql(connection, sql) };
    }
    case "store_sql":
      storeSql(stream, request.sql_id, request.sql);
      return { type: "store_sql" };
    case "close_sql":
      stream.sqls.delete(request.sql_id);
      return { type: "close_sql" };
    case "get_autocommit":
      if (version < 3) {
        throw new ProtocolError(
          "The `get_autocommit` request is only supported in protocol version hrana3 and higher",
        );
      }
      return {
        type: "get_autocommit",
        is_autocommit: stream.connection().isAutocommit,
      };
  }
}

async function handleRequest(
  stream: HranaStream,
  request: StreamRequest,
  version: ProtocolVersion,
): Promise<StreamResult> {
  try {
    return { type: "ok", response: await respond(stream, request, version) };
  } catch (error) {
    if (error instanceof HranaError) {
      return { type: "error", error: error.toProto() };
    }
    throw error;
  }
}

export async function runPipeline(
  registry: StreamRegistry,
  body: PipelineBody,
  version: ProtocolVersion,
): Promise<PipelineResponse> {
  const stream = registry.acquire(body.baton);
  try {
    const results: StreamResult[] = [];
    for (const request of body.requests) {
      results.push(await handleRequest(stream, request, version));
    }
    return { baton: registry.release(stream), base_url: null, results };
  } catch (error) {
    registry.discard(stream);
    throw error;
  }
}
