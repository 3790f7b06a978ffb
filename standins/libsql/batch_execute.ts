/**
 * Batches (conditional programs) and sequences. A step that is skipped or
 * fails counts as "not ok" for later conditions, as in sqld's program VM.
 */
import { HranaError, ProtocolError } from "./errors.ts";
import type {
  BatchCond,
  BatchResult,
  HranaBatch,
  ProtoError,
  StmtResult,
} from "./hrana_schema.ts";
import type { SqliteConnection } from "./sqlite_connection.ts";
import {
  bareStmt,
  type CompiledStmt,
  compileStmt,
  parseStatements,
  type SqlStore,
} from "./stmt_compile.ts";
import { executeStmt } from "./stmt_execute.ts";

export type ProtocolVersion = 2 | 3;

export interface CompiledBatch {
  steps: { condition: BatchCond | null; stmt: CompiledStmt }[];
}

/** Conditions may only look back: a step can't depend on itself or a later step. */
function checkCondition(
  cond: BatchCond,
  stepIndex: number,
  version: ProtocolVersion,
): void {
  switch (cond.type) {
    case "ok":
    case "error":
      if (cond.step >= stepIndex) {
        throw new ProtocolError(
          "Invalid reference to step in a batch condition",
        );
      }
      return;
    case "not":
      return checkCondition(cond.cond, stepIndex, version);
    case "and":
    case "or":
      return cond.conds.forEach((inner) =>
        checkCondition(inner, stepIndex, version)
      );
    case "is_autocommit":
      if (version < 3) {
        throw new ProtocolError(
          "BatchCond of type `is_autocommit` is only supported in protocol version hrana3 and higher",
        );
      }
  }
}

export function compileBatch(
  connection: SqliteConnection,
  batch: HranaBatch,
  sqls: SqlStore,
  version: ProtocolVersion,
): CompiledBatch {
  const steps = batch.steps.map((step, index) => {
    const stmt = compileStmt(connection, step.stmt, sqls);
    const condition = step.condition ?? null;
    if (condition) checkCondition(condition, index, version);
    return { condition, stmt };
  });
  return { steps };
}

function evaluate(
  cond: BatchCond,
  outcomes: readonly boolean[],
  isAutocommit: boolean,
): boolean {
  switch (cond.type) {
    case "ok":
      return outcomes[cond.step] === true;
    case "error":
      return outcomes[cond.step] === false;
    case "not":
      return !evaluate(cond.cond, outcomes, isAutocommit);
    case "and":
      return cond.conds.every((inner) =>
        evaluate(inner, outcomes, isAutocommit)
      );
    case "or":
      return cond.conds.some((inner) =>
        evaluate(inner, outcomes, isAutocommit)
      );
    case "is_autocommit":
      return isAutocommit;
  }
}

export async function executeBatch(
  connection: SqliteConnection,
  batch: CompiledBatch,
): Promise<BatchResult> {
  const outcomes: boolean[] = [];
  const stepResults: (StmtResult | null)[] = [];
  const stepErrors: (ProtoError | null)[] = [];
  for (const step of batch.steps) {
    const enabled = step.condition === null ||
      evaluate(step.condition, outcomes, connection.isAutocommit);
    let result: StmtResult | null = null;
    let error: ProtoError | null = null;
    if (enabled) {
      try {
        result = await executeStmt(connection, step.stmt);
      } catch (failure) {
        if (!(failure instanceof HranaError)) throw failure;
        error = failure.toProto();
      }
    }
    outcomes.push(result !== null);
    stepResults.push(result);
    stepErrors.push(error);
  }
  return { step_results: stepResults, step_errors: stepErrors };
}

/** Runs every statement of a SQL text in order, stopping at (and throwing) the first error. */
export async function executeSequence(
  connection: SqliteConnection,
  sql: string,
): Promise<void> {
  for (const statement of parseStatements(connection, sql)) {
    await executeStmt(connection, bareStmt(statement));
  }
}
