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
import type { AppDeps } from "../../deps.ts";
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

/**
 * The catalogue as an admin edits it (`/v1/types`). A change is saved
 * first, with the catalogue's revision, then the users it moves are walked
 * (a `retype` operation: paged, resumable, continued through QStash), so
 * the change stands even when QStash is down and the walk catches up.
 */
type Deps = Pick<
  AppDeps,
  "db" | "scheduler" | "log" | "now" | "config" | "catalogue"
>;

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

export async function listTypeViews(deps: Deps): Promise<TypeView[]> {
  return (await listTypes(deps.db)).map(typeView);
}

export async function getTypeView(deps: Deps, id: string): Promise<TypeView> {
  return typeView(await mustGet(deps, id));
}

/** `POST /v1/types`: a new type; its id must be free. */
export async function createType(
  deps: Deps,
  type: NotificationType,
  pace: OperationOptions = RETYPE_PACE,
): Promise<TypeChangeResult> {
  const written = await insertType(deps.db, type, deps.now());
  if (!written) {
    throw new AppError("conflict", `Type "${type.id}" already exists`, {
      type: type.id,
    });
  }
  deps.log.info("type.created", { type: type.id });
  return await follow(deps, written, { before: null, pace });
}

/** `PUT /v1/types/{id}`: makes the type, or replaces its definition. */
export async function putType(
  deps: Deps,
  id: string,
  definition: TypeDefinition,
  pace: OperationOptions = RETYPE_PACE,
): Promise<TypeChangeResult & { created: boolean }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await getType(deps.db, id);
    if (!current) {
      const written = await insertType(
        deps.db,
        { id, ...definition },
        deps.now(),
      );
      if (!written) continue; // Made meanwhile: replace it instead.
      deps.log.info("type.created", { type: id });
      return {
        ...await follow(deps, written, { before: null, pace }),
        created: true,
      };
    }
    const result = await replace(deps, current, { id, ...definition }, pace);
    if (result) return { ...result, created: false };
  }
  throw busy(id);
}

/** `PATCH /v1/types/{id}`: the fields given, checked as a whole again. */
export async function patchType(
  deps: Deps,
  id: string,
  patch: TypePatch,
  pace: OperationOptions = RETYPE_PACE,
): Promise<TypeChangeResult> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await mustGet(deps, id);
    const next = patchedType(current, patch);
    if (!next.success) throw validationError(next.error.issues);
    const result = await replace(deps, current, { id, ...next.data }, pace);
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
export async function removeType(
  deps: Deps,
  id: string,
  pace: OperationOptions = RETYPE_PACE,
): Promise<{ deleted: string; operation: OperationView | null }> {
  const users = (await listJobs(deps.db)).map(parseStoredJob).filter((job) =>
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
    const current = await mustGet(deps, id);
    const written = await deleteType(deps.db, id, current.version);
    if (!written) continue;
    deps.log.info("type.deleted", { type: id });
    const { operation } = await follow(deps, written, {
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
  deps: Deps,
  current: StoredType,
  next: NotificationType,
  pace: OperationOptions,
): Promise<TypeChangeResult | null> {
  const written = await updateType(
    deps.db,
    next,
    current.version,
    deps.now(),
  );
  if (!written) return null;
  deps.log.info("type.changed", {
    type: next.id,
    version: written.type.version,
  });
  return await follow(deps, written, { before: current, pace });
}

/**
 * After a change: this isolate's catalogue is brought to it, and the users
 * it moves are walked when it moves anyone. The walk's first call runs
 * here, for as long as its pace allows; QStash carries the rest.
 */
async function follow(
  deps: Deps,
  written: TypeWrite,
  at: {
    before: NotificationType | null;
    after?: null;
    pace: OperationOptions;
  },
): Promise<TypeChangeResult> {
  await deps.catalogue(written.revision);
  const change: TypeChange = {
    type: written.type.id,
    before: shapeOf(at.before),
    after: at.after === null ? null : shapeOf(written.type),
  };
  const operation = movesAnyone(change)
    ? await startRetype(
      deps,
      JSON.stringify(change),
      at.pace,
    )
    : null;
  return { type: typeView(written.type), operation };
}

/** A catalogue change answers quickly: the walk continues in the background. */
export const RETYPE_PACE: OperationOptions = {
  ...DEFAULT_OPERATION_OPTIONS,
  budgetMs: 5_000,
};

async function mustGet(deps: Deps, id: string): Promise<StoredType> {
  const type = await getType(deps.db, id);
  if (!type) throw new AppError("not_found", `No type "${id}"`);
  return type;
}

function busy(id: string): AppError {
  return new AppError(
    "conflict",
    `Type "${id}" kept changing under this request; try again`,
  );
}
