import type { ServiceContext } from "../../context.ts";
import type { NotificationType } from "../../domain/catalogue/catalogue.ts";
import { parseStoredJob } from "../../domain/jobs/job_definition.ts";
import {
  patchedType,
  type TypeDefinition,
  type TypePatch,
} from "../../domain/catalogue/notification_type.ts";
import {
  movesAnyone,
  shapeOf,
  type TypeChange,
} from "../../domain/catalogue/type_change.ts";
import { AppError } from "../../errors.ts";
import { validationError } from "../../http/validation.ts";
import {
  deleteType,
  getType,
  insertType,
  listTypes,
  type StoredType,
  type TypeWrite,
  updateType,
} from "../../store/catalogue/catalogue_store.ts";
import { listJobs } from "../../store/jobs/job_store.ts";
import type { OperationView } from "../control/operation_view.ts";
import {
  DEFAULT_OPERATION_OPTIONS,
  type OperationOptions,
  startRetype,
} from "../control/scheduler_operations.ts";

export interface TypeView extends NotificationType {
  /** 1 when made, one more with every change. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface TypeChangeResult {
  type: TypeView;
  /** The walk over the users the change moves; null when it moves nobody. */
  operation: OperationView | null;
}

export function typeView(stored: StoredType): TypeView {
  const { version, createdAt, updatedAt, ...type } = stored;
  return {
    ...type,
    version,
    createdAt: new Date(createdAt).toISOString(),
    updatedAt: new Date(updatedAt).toISOString(),
  };
}

export async function listTypeViews({
  ctx,
}: { ctx: ServiceContext }): Promise<TypeView[]> {
  return (await listTypes(ctx.db)).map(typeView);
}

export async function getTypeView({ ctx, id }: {
  ctx: ServiceContext;
  id: string;
}): Promise<TypeView> {
  return typeView(await mustGet(ctx, id));
}

/** `POST /v1/types`: a new type; its id must be free. */
export async function createType({ ctx, type, pace = RETYPE_PACE }: {
  ctx: ServiceContext;
  type: NotificationType;
  pace?: OperationOptions;
}): Promise<TypeChangeResult> {
  const written = await insertType(ctx.db, type, ctx.now());
  if (!written) {
    throw new AppError("conflict", `Type "${type.id}" already exists`, {
      type: type.id,
    });
  }
  ctx.log.info("type.created", { type: type.id });
  return await follow(ctx, written, { before: null, pace });
}

/** `PUT /v1/types/{id}`: makes the type, or replaces its definition. */
export async function putType({ ctx, id, definition, pace = RETYPE_PACE }: {
  ctx: ServiceContext;
  id: string;
  definition: TypeDefinition;
  pace?: OperationOptions;
}): Promise<TypeChangeResult & { created: boolean }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await getType(ctx.db, id);
    if (!current) {
      const written = await insertType(
        ctx.db,
        { id, ...definition },
        ctx.now(),
      );
      if (!written) continue; // Made meanwhile: replace it instead.
      ctx.log.info("type.created", { type: id });
      return {
        ...await follow(ctx, written, { before: null, pace }),
        created: true,
      };
    }
    const result = await replace(ctx, current, { id, ...definition }, pace);
    if (result) return { ...result, created: false };
  }
  throw busy(id);
}

/** `PATCH /v1/types/{id}`: the fields given, checked as a whole again. */
export async function patchType({ ctx, id, patch, pace = RETYPE_PACE }: {
  ctx: ServiceContext;
  id: string;
  patch: TypePatch;
  pace?: OperationOptions;
}): Promise<TypeChangeResult> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await mustGet(ctx, id);
    const next = patchedType(current, patch);
    if (!next.success) throw validationError(next.error.issues);
    const result = await replace(ctx, current, { id, ...next.data }, pace);
    if (result) return result;
  }
  throw busy(id);
}

/**
 * `DELETE /v1/types/{id}`: the type goes, and with it every schedule or
 * slot membership of it (the walk reaches each user who had it on). Users'
 * own choices about it are kept, ignored, and apply again if a type of that
 * id is made later. A fan-out job that sends it must go or change first.
 */
export async function removeType({ ctx, id, pace = RETYPE_PACE }: {
  ctx: ServiceContext;
  id: string;
  pace?: OperationOptions;
}): Promise<{ deleted: string; operation: OperationView | null }> {
  const users = (await listJobs(ctx.db)).map(parseStoredJob).filter((job) =>
    "builtin" in job.target && job.target.builtin === "fanout" &&
    job.target.type === id
  );
  if (users.length) {
    throw new AppError(
      "conflict",
      `Type "${id}" is sent by job "${
        users[0]?.id
      }": change or delete the job first`,
      { jobs: users.map((job) => job.id) },
    );
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await mustGet(ctx, id);
    const written = await deleteType(ctx.db, id, current.version);
    if (!written) continue;
    ctx.log.info("type.deleted", { type: id });
    const { operation } = await follow(ctx, written, {
      before: current,
      after: null,
      pace,
    });
    return { deleted: id, operation };
  }
  throw busy(id);
}

/** Saves `next` over `current` if nobody changed it meanwhile; else null. */
async function replace(
  ctx: ServiceContext,
  current: StoredType,
  next: NotificationType,
  pace: OperationOptions,
): Promise<TypeChangeResult | null> {
  const written = await updateType(
    ctx.db,
    next,
    current.version,
    ctx.now(),
  );
  if (!written) return null;
  ctx.log.info("type.changed", {
    type: next.id,
    version: written.type.version,
  });
  return await follow(ctx, written, { before: current, pace });
}

/**
 * After a change: this isolate's catalogue is brought to it, and the users
 * it moves are walked when it moves anyone. The walk's first call runs
 * here, for as long as its pace allows; QStash carries the rest.
 */
async function follow(
  ctx: ServiceContext,
  written: TypeWrite,
  at: {
    before: NotificationType | null;
    after?: null;
    pace: OperationOptions;
  },
): Promise<TypeChangeResult> {
  await ctx.catalogue(written.revision);
  const change: TypeChange = {
    type: written.type.id,
    before: shapeOf(at.before),
    after: at.after === null ? null : shapeOf(written.type),
  };
  const operation = movesAnyone(change)
    ? await startRetype({
      ctx,
      params: JSON.stringify(change),
      options: at.pace,
    })
    : null;
  return { type: typeView(written.type), operation };
}

/** A catalogue change answers quickly: the walk continues in the background. */
export const RETYPE_PACE: OperationOptions = {
  ...DEFAULT_OPERATION_OPTIONS,
  budgetMs: 5_000,
};

async function mustGet(ctx: ServiceContext, id: string): Promise<StoredType> {
  const type = await getType(ctx.db, id);
  if (!type) throw new AppError("not_found", `No type "${id}"`);
  return type;
}

function busy(id: string): AppError {
  return new AppError(
    "conflict",
    `Type "${id}" kept changing under this request; try again`,
  );
}
