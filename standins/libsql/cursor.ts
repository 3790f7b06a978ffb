/**
 * The v3 `cursor` endpoint: a batch whose results come back as newline-delimited
 * JSON entries after a `{baton, base_url}` line. The batch runs to completion
 * before the body is written (a local file answers fast enough), so the output
 * matches sqld's but is not streamed row by row.
 */
import { compileBatch, executeBatch } from "./batch_execute.ts";
import { HranaError } from "./errors.ts";
import type {
  BatchResult,
  HranaBatch,
  ProtoError,
  ProtoValue,
  StmtResult,
} from "./hrana_schema.ts";
import type { StreamRegistry } from "./stream_registry.ts";

export interface CursorBody {
  baton?: string | null;
  batch: HranaBatch;
}

type CursorEntry =
  | { type: "step_begin"; step: number; cols: StmtResult["cols"] }
  | { type: "row"; row: ProtoValue[] }
  | {
    type: "step_end";
    affected_row_count: number;
    last_insert_rowid: string | null;
  }
  | { type: "step_error"; step: number; error: ProtoError }
  | { type: "error"; error: ProtoError };

function entriesOf(result: BatchResult): CursorEntry[] {
  const entries: CursorEntry[] = [];
  result.step_results.forEach((stepResult, step) => {
    const error = result.step_errors[step];
    if (error) {
      entries.push({ type: "step_error", step, error });
    } else if (stepResult) {
      entries.push({ type: "step_begin", step, cols: stepResult.cols });
      for (const row of stepResult.rows) entries.push({ type: "row", row });
      entries.push({
        type: "step_end",
        affected_row_count: stepResult.affected_row_count,
        last_insert_rowid: stepResult.last_insert_rowid,
      });
    }
  });
  return entries;
}

/** Returns the response body: one JSON document per line. */
export async function runCursor(
  registry: StreamRegistry,
  body: CursorBody,
): Promise<string> {
  const stream = registry.acquire(body.baton);
  let entries: CursorEntry[];
  try {
    const connection = stream.connection();
    try {
      const batch = compileBatch(connection, body.batch, stream.sqls, 3);
      entries = entriesOf(await executeBatch(connection, batch));
    } catch (error) {
      if (!(error instanceof HranaError)) throw error;
      entries = [{ type: "error", error: error.toProto() }];
    }
  } catch (error) {
    registry.discard(stream);
    throw error;
  }
  const head = { baton: registry.release(stream), base_url: null };
  return [head, ...entries].map((entry) => `${JSON.stringify(entry)}\n`).join(
    "",
  );
}
