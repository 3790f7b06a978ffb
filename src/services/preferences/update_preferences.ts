import type { ServiceContext } from "../../context.ts";
import {
  effectivePreferences,
  encodeOverrides,
  encodePatch,
} from "../../domain/preferences/preference_overrides.ts";
import {
  checkTypes,
  comparePreferences,
  type PreferenceChange,
  type Preferences,
  type PreferencesPatch,
  type PreferencesPut,
  putOverrides,
} from "../../domain/preferences/preferences.ts";
import { validationError } from "../../http/validation.ts";
import { emitEvent } from "../webhooks/emit_event.ts";
import {
  catalogueRevisionOf,
  catalogueRevisionQuery,
} from "../../store/catalogue/catalogue_store.ts";
import { shortId } from "../../domain/codecs/log_redaction.ts";
import {
  readPreferencesQuery,
  savePreferencesQuery,
} from "../../store/preferences/preferences_store.ts";
import { heldQuery } from "../../store/schedules/schedule_ledger.ts";
import {
  runningOf,
  runningQuery,
} from "../../store/control/scheduler_state_store.ts";
import { membersOfUserQuery } from "../../store/schedules/slot_store.ts";
import {
  pendingOutcome,
  type ReconcileOutcome,
} from "../../domain/schedules/reconcile_outcome.ts";
import { reconcileUser, USER_RECONCILE_LEASE_MS } from "./reconcile_user.ts";
import { decodeStoredPreferences } from "../schedules/stored_preferences.ts";

export type PreferencesUpdate =
  | { mode: "replace"; put: PreferencesPut }
  | { mode: "merge"; patch: PreferencesPatch };

export interface PreferencesUpdateResult {
  userId: string;
  preferences: Preferences;
  version: number;
  changes: PreferenceChange[];
  reconcile: ReconcileOutcome;
}

/**
 * Saves a user's preferences (replace, or a field-by-field merge) as a new
 * version, then reconciles that user's schedules at once. The save is one
 * statement that SQLite applies under its write lock (see
 * savePreferencesQuery), so concurrent writers for one user are applied one
 * after another, the last one wins and nobody retries; a write that changes
 * nothing saves nothing and calls QStash zero times. The types named are
 * checked against the live catalogue first: an unknown one, or a critical
 * one switched off, is a 400 and nothing is written.
 */
export async function updatePreferences({ ctx, userId, update }: {
  ctx: ServiceContext;
  userId: string;
  update: PreferencesUpdate;
}): Promise<PreferencesUpdateResult> {
  const named = update.mode === "replace"
    ? update.put.types
    : update.patch.types;
  let catalogue = await ctx.catalogue();
  if (checkTypes(named, catalogue).length) {
    // Maybe a type made a moment ago elsewhere: judge by the latest.
    catalogue = await ctx.catalogue("latest");
    const issues = checkTypes(named, catalogue);
    if (issues.length) throw validationError(issues);
  }
  // The write, with the reconcile lease if it is free; the row as it stands
  // (for a write that changed nothing); the ledger and the scheduler's
  // state: one round trip.
  const leaseId = crypto.randomUUID();
  const now = ctx.now();
  const [saved, current, ledger, members, state, revision] = await ctx.db
    .batch([
      savePreferencesQuery(ctx.db, {
        userId,
        write: update.mode === "replace"
          ? {
            mode: "replace",
            json: encodeOverrides(putOverrides(update.put, catalogue)),
          }
          : { mode: "merge", patch: encodePatch(update.patch) },
        lease: { id: leaseId, until: now + USER_RECONCILE_LEASE_MS },
        now,
      }),
      readPreferencesQuery(ctx.db, userId),
      heldQuery(ctx.db, userId),
      membersOfUserQuery(ctx.db, userId),
      runningQuery(ctx.db),
      catalogueRevisionQuery(ctx.db),
    ]);
  // The catalogue as of the write (a change since the check is read now).
  catalogue = await ctx.catalogue(catalogueRevisionOf(revision));
  const row = current[0];
  if (!row) throw new Error("A saved preferences row vanished");

  const written = saved[0];
  if (!written) {
    // Nothing changed. Still unsynced from an earlier write? Finish that.
    const reconcile = row.syncStatus === "synced"
      ? unchangedOutcome([...ledger, ...members])
      : await reconcileUser({ ctx, userId });
    return {
      userId,
      preferences: decodeStoredPreferences(row.data, catalogue),
      version: row.version,
      changes: [],
      reconcile,
    };
  }

  const before = written.previousData === null
    ? effectivePreferences({}, catalogue)
    : decodeStoredPreferences(written.previousData, catalogue);
  const next = decodeStoredPreferences(written.data, catalogue);
  const changes = comparePreferences(before, next);
  ctx.background(emitEvent({
    ctx,
    event: {
      type: "preferences.updated",
      data: { userId, version: written.version, changes },
    },
  }));
  ctx.log.info("preferences.updated", {
    user: shortId(userId),
    version: written.version,
    changes: changes.length,
  });
  // Someone else holds the lease: they go round again for this version
  // before they let go (see reconcileUser), so there is nothing to wait for.
  const reconcile: ReconcileOutcome = written.leaseId === leaseId
    ? await reconcileUser({
      ctx,
      userId,
      opts: {
        leased: {
          leaseId,
          row: written,
          ledger,
          members,
          running: runningOf(state),
          catalogueRevision: catalogueRevisionOf(revision),
          preferences: next,
        },
      },
    })
    : pendingOutcome("in_progress");
  return {
    userId,
    preferences: next,
    version: written.version,
    changes,
    reconcile,
  };
}

/** Everything the user has, as it is: schedules (per-user) or members. */
function unchangedOutcome(held: readonly { id: string }[]): ReconcileOutcome {
  return {
    status: "synced",
    created: [],
    updated: [],
    deleted: [],
    unchanged: held.map((s) => s.id).sort(),
  };
}
