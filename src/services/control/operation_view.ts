import type { ServiceContext } from "../../context.ts";
import {
  getOperation,
  type Operation,
  type OperationKind,
} from "../../store/control/operation_store.ts";

/** What the API shows of a restart, stop or start: state and progress. */
export interface OperationView {
  id: string;
  kind: OperationKind;
  status: Operation["status"];
  phase: string;
  /** True when this call picked up an earlier, unfinished operation. */
  resumed: boolean;
  /** True when the rest continues in the background (through QStash). */
  continuing: boolean;
  progress: {
    pages: number;
    users: number;
    created: number;
    updated: number;
    deleted: number;
    unchanged: number;
    paused: number;
    resumed: number;
    ledgerFixed: number;
  };
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

export function viewOf(
  op: Operation,
  flags: { resumed?: boolean; continuing?: boolean } = {},
): OperationView {
  return {
    id: op.id,
    kind: op.kind,
    status: op.status,
    phase: op.phase,
    resumed: flags.resumed ?? false,
    continuing: flags.continuing ?? false,
    progress: {
      pages: op.pages,
      users: op.users,
      created: op.created,
      updated: op.updated,
      deleted: op.deleted,
      unchanged: op.unchanged,
      paused: op.paused,
      resumed: op.resumed,
      ledgerFixed: op.ledgerFixed,
    },
    error: op.error,
    startedAt: new Date(op.startedAt).toISOString(),
    finishedAt: op.finishedAt === null
      ? null
      : new Date(op.finishedAt).toISOString(),
  };
}

/** `GET /v1/scheduler/operations/{id}`: one operation, or null. */
export async function readOperation({ ctx, id }: {
  ctx: ServiceContext;
  id: string;
}): Promise<OperationView | null> {
  const op = await getOperation(ctx.db, id);
  return op ? viewOf(op) : null;
}
