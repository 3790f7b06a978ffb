import type { ServiceContext } from "../../context.ts";
import { typeChangeSchema } from "../../domain/catalogue/type_change.ts";
import {
  markMovedQuery,
  usersMovedPage,
} from "../../store/preferences/preferences_store.ts";
import {
  DONE,
  type PageResult,
  reconcileCounted,
} from "./operation_snapshot.ts";

export const RETYPE_FIRST_PHASE = "users";

/**
 * A retype: after a type was created, changed or deleted, the users the
 * change moves (store/preferences_store.ts usersMovedPage), page by page in
 * id order, so each is reached once and the walk resumes where it stopped.
 * A page is marked first (a new version, so a reconcile already under way
 * for one of them goes round again with the new catalogue), then each user
 * is reconciled like any other: per-user schedules or slot members follow.
 * Users who chose the changed fields themselves are never read, let alone
 * written.
 */
export function retypeStepFor({ ctx, params }: {
  ctx: ServiceContext;
  params: string | null;
}): (
  at: { phase: string; cursor: string | null },
  pageSize: number,
) => Promise<PageResult> {
  const change = typeChangeSchema.parse(JSON.parse(params ?? "null"));
  return async (at, pageSize) => {
    if (at.phase !== RETYPE_FIRST_PHASE) {
      return { phase: DONE, cursor: null, counts: {} };
    }
    const users = await usersMovedPage(ctx.db, change, at.cursor, pageSize);
    const last = users.at(-1);
    if (last === undefined) return { phase: DONE, cursor: null, counts: {} };
    await markMovedQuery(ctx.db, users);
    const counts = {
      users: users.length,
      created: 0,
      updated: 0,
      deleted: 0,
      unchanged: 0,
    };
    // A failure leaves the page marked: each of its users stays pending,
    // and the cron trigger retries them even before the walk resumes.
    for (const userId of users) await reconcileCounted({ ctx, userId, counts });
    return { phase: RETYPE_FIRST_PHASE, cursor: last, counts };
  };
}
