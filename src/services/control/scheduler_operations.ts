import type { ServiceContext } from "../../context.ts";
import { AppError } from "../../errors.ts";
import {
  finishOperation,
  getOperation,
  insertOperation,
  latestUnfinished,
  leaseOperation,
  type Operation,
  type OperationKind,
  recordPage,
  releaseOperation,
  type SchedulerOperationKind,
  stalledOperations,
  supersede,
} from "../../store/control/operation_store.ts";
import { SchedulerError } from "../../ports/scheduler.ts";
import { writeSchedulerRunning } from "../../store/control/scheduler_state_store.ts";
import { operationBody } from "../../domain/callbacks/callback_body.ts";
import { DONE, loadSnapshot, type PageResult } from "./operation_snapshot.ts";
import { type OperationView, viewOf } from "./operation_view.ts";
import { PAUSE_FIRST_PHASE, pauseStep } from "./pause_steps.ts";
import { RESTART_FIRST_PHASE, restartStep } from "./restart_steps.ts";
import { RETYPE_FIRST_PHASE, retypeStepFor } from "./retype_steps.ts";

/**
 * Restart, stop and start run as resumable operations: pages of work whose
 * cursor and counts are saved after each page. One call works until it is
 * done, fails, or spends its budget; then it hands the rest to a QStash
 * message addressed to Herald itself (`scheduler-op`), so no request runs
 * unbounded. A failed operation keeps its cursor: the next POST of the same
 * kind resumes it, and QStash retries a failed continuation on its own.
 */
export interface OperationOptions {
  pageSize: number;
  /** Pages one call may do before continuing through QStash. */
  maxPages: number;
  /** Wall time one call may spend before continuing through QStash. */
  budgetMs: number;
}

export const DEFAULT_OPERATION_OPTIONS: OperationOptions = {
  pageSize: 500,
  maxPages: Number.MAX_SAFE_INTEGER,
  budgetMs: 20_000,
};

/** A page that overruns its lease lets another runner take over. */
const OPERATION_LEASE_MS = 60_000;

/** One call's page runner: what its pages share is read once, here. */
type Pages = (
  at: { phase: string; cursor: string | null },
  pageSize: number,
) => Promise<PageResult>;

const KINDS: Record<
  OperationKind,
  {
    first: string;
    prepare(ctx: ServiceContext, op: Operation): Promise<Pages>;
  }
> = {
  restart: {
    first: RESTART_FIRST_PHASE,
    prepare: async (ctx) => {
      const snapshot = await loadSnapshot({ ctx });
      return (at, size) => restartStep(ctx, snapshot, at, size);
    },
  },
  stop: {
    first: PAUSE_FIRST_PHASE,
    prepare: async (ctx) => {
      const snapshot = await loadSnapshot({ ctx });
      return (at, size) => pauseStep(ctx, snapshot, at, size);
    },
  },
  start: {
    first: PAUSE_FIRST_PHASE,
    prepare: async (ctx) => {
      const snapshot = await loadSnapshot({ ctx });
      return (at, size) => pauseStep(ctx, snapshot, at, size);
    },
  },
  retype: {
    first: RETYPE_FIRST_PHASE,
    prepare: (ctx, op) =>
      Promise.resolve(retypeStepFor({ ctx, params: op.params })),
  },
};

/**
 * `POST /v1/scheduler/{restart,stop,start}`. Resumes an unfinished
 * operation of the same kind; supersedes one of another kind (a stop makes
 * a half-done start moot); refuses while another runner holds the lease.
 */
export async function startOperation({ ctx, kind, options }: {
  ctx: ServiceContext;
  kind: SchedulerOperationKind;
  options: OperationOptions;
}): Promise<OperationView> {
  const now = ctx.now();
  const open = await latestUnfinished(ctx.db);
  if (open && open.leaseUntil !== null && open.leaseUntil >= now) {
    throw new AppError(
      "conflict",
      `A ${open.kind} is already in progress`,
      { operation: viewOf(open) },
    );
  }
  let id: string;
  let resumed = false;
  if (open && open.kind === kind) {
    id = open.id;
    resumed = true;
  } else {
    if (open) await supersede(ctx.db, open.id, now);
    id = `op_${now.toString(36)}${crypto.randomUUID().slice(0, 8)}`;
    await insertOperation(ctx.db, {
      id,
      kind,
      phase: KINDS[kind].first,
      now,
    });
  }
  // The state goes first: from here on every reconcile writes schedules in
  // the new state, and the walk below catches those written before.
  if (kind !== "restart") {
    await writeSchedulerRunning(ctx.db, kind === "start", now);
    ctx.log.info(kind === "stop" ? "scheduler.stopped" : "scheduler.started");
  }
  return await runOperation(ctx, id, options, resumed);
}

/** The `scheduler-op` continuation message, or the maintenance sweep. */
export async function continueOperation(
  { ctx, id, options = DEFAULT_OPERATION_OPTIONS }: {
    ctx: ServiceContext;
    id: string;
    options?: OperationOptions;
  },
): Promise<OperationView | null> {
  const op = await getOperation(ctx.db, id);
  if (!op || (op.status !== "running" && op.status !== "failed")) {
    return op ? viewOf(op) : null;
  }
  return await runOperation(ctx, id, options, true);
}

/**
 * A retype: the walk over the users a catalogue change moves (see
 * retype_steps.ts). It runs beside restarts, stops and starts (each user's
 * reconcile has its own lease), and like them continues through QStash.
 */
export async function startRetype(
  { ctx, params, options = DEFAULT_OPERATION_OPTIONS }: {
    ctx: ServiceContext;
    params: string;
    options?: OperationOptions;
  },
): Promise<OperationView> {
  const now = ctx.now();
  const id = `op_${now.toString(36)}${crypto.randomUUID().slice(0, 8)}`;
  await insertOperation(ctx.db, {
    id,
    kind: "retype",
    phase: RETYPE_FIRST_PHASE,
    now,
    params,
  });
  return await runOperation(ctx, id, options, false);
}

/** Picks up operations whose runner died (their lease ran out). */
export async function resumeStalledOperations(
  { ctx }: { ctx: ServiceContext },
): Promise<void> {
  for (const op of await stalledOperations(ctx.db, ctx.now())) {
    await continueOperation({ ctx, id: op.id });
  }
}

async function runOperation(
  ctx: ServiceContext,
  id: string,
  options: OperationOptions,
  resumed: boolean,
): Promise<OperationView> {
  const started = performance.now();
  let op = await leaseOperation(ctx.db, id, ctx.now(), OPERATION_LEASE_MS);
  if (!op) {
    const current = await getOperation(ctx.db, id);
    if (!current) throw new AppError("not_found", "No such operation");
    throw new AppError(
      "conflict",
      `The ${current.kind} is already in progress`,
      { operation: viewOf(current) },
    );
  }
  try {
    const step = await KINDS[op.kind].prepare(ctx, op);
    let pages = 0;
    while (op.phase !== DONE) {
      if (
        pages >= options.maxPages ||
        performance.now() - started > options.budgetMs
      ) {
        return await handOver(ctx, op, resumed);
      }
      const result = await step(
        { phase: op.phase, cursor: op.cursor },
        options.pageSize,
      );
      op = await recordPage(ctx.db, {
        id,
        page: result,
        now: ctx.now(),
        leaseMs: OPERATION_LEASE_MS,
      }) ?? op;
      pages++;
    }
    op = await finishOperation(ctx.db, id, { status: "done" }, ctx.now()) ??
      op;
    ctx.log.info("scheduler.operation", {
      operation: id,
      kind: op.kind,
      status: "done",
      pages: op.pages,
    });
    return viewOf(op, { resumed });
  } catch (error) {
    const message = error instanceof SchedulerError
      ? error.message
      : "Internal error";
    op = await finishOperation(
      ctx.db,
      id,
      { status: "failed", error: message },
      ctx.now(),
    ) ?? op;
    ctx.log.warn("scheduler.operation", {
      operation: id,
      kind: op.kind,
      status: "failed",
      pages: op.pages,
    });
    if (!(error instanceof SchedulerError)) throw error;
    return viewOf(op, { resumed });
  }
}

/** Frees the lease and asks QStash to call back for the next pages. */
async function handOver(
  ctx: ServiceContext,
  op: Operation,
  resumed: boolean,
): Promise<OperationView> {
  await releaseOperation(ctx.db, op.id, ctx.now());
  await ctx.scheduler.publishMessage({
    destination: ctx.config.callbackUrl,
    body: operationBody(op.id),
    // One continuation per point of progress, however often this is retried.
    deduplicationId: `herald-op-${op.id}-${op.pages}`,
  });
  ctx.log.info("scheduler.operation", {
    operation: op.id,
    kind: op.kind,
    status: "continuing",
    pages: op.pages,
  });
  return viewOf(op, { resumed, continuing: true });
}
