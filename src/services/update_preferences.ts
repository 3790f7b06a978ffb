import {
  activeDefaultsJson,
  effectivePreferences,
  encodeOverrides,
  encodePatch,
  type PreferenceOverrides,
} from "../domain/preference_overrides.ts";
import {
  comparePreferences,
  type PreferenceChange,
  type Preferences,
  type PreferencesPatch,
} from "../domain/preferences.ts";
import type { AppDeps } from "../deps.ts";
import { shortId } from "../ports/logger.ts";
import {
  readPreferencesQuery,
  savePreferencesQuery,
} from "../ports/preferences_store.ts";
import { heldQuery } from "../ports/schedule_ledger.ts";
import { runningOf, runningQuery } from "../ports/scheduler_state_store.ts";
import { membersOfUserQuery } from "../ports/slot_store.ts";
import {
  LEASE_MS,
  type ReconcileOutcome,
  reconcileUser,
} from "./reconcile_user.ts";
import { decodeStoredPreferences } from "./stored_preferences.ts";

export type PreferencesUpdate =
  | { mode: "replace"; overrides: PreferenceOverrides }
  | { mode: "merge"; patch: PreferencesPatch };

export interface PreferencesUpdateResult {
  userId: string;
  preferences: Preferences;
  version: number;
  changes: PreferenceChange[];
  reconcile: ReconcileOutcome;
}

type Deps = Pick<AppDeps, "db" | "scheduler" | "log" | "now" | "config">;

/**
 * Saves a user's preferences (replace, or a field-by-field merge) as a new
 * version, then reconciles that user's schedules at once. The save is one
 * statement that SQLite applies under its write lock (see
 * savePreferencesQuery), so concurrent writers for one user are applied one
 * after another, the last one wins and nobody retries; a write that changes
 * nothing saves nothing and calls QStash zero times.
 */
export async function updatePreferences(
  deps: Deps,
  userId: string,
  update: PreferencesUpdate,
): Promise<PreferencesUpdateResult> {
  // The write, with the reconcile lease if it is free; the row as it stands
  // (for a write that changed nothing); the ledger and the scheduler's
  // state: one round trip.
  const leaseId = crypto.randomUUID();
  const now = deps.now();
  const [saved, current, ledger, members, state] = await deps.db.batch([
    savePreferencesQuery(deps.db, {
      userId,
      write: update.mode === "replace"
        ? { mode: "replace", json: encodeOverrides(update.overrides) }
        : { mode: "merge", patch: encodePatch(update.patch) },
      defaults: activeDefaultsJson(),
      lease: { id: leaseId, until: now + LEASE_MS },
      now,
    }),
    readPreferencesQuery(deps.db, userId),
    heldQuery(deps.db, userId),
    membersOfUserQuery(deps.db, userId),
    runningQuery(deps.db),
  ]);
  const row = current[0];
  if (!row) throw new Error("A saved preferences row vanished");

  const written = saved[0];
  if (!written) {
    // Nothing changed. Still unsynced from an earlier write? Finish that.
    const reconcile = row.syncStatus === "synced"
      ? unchangedOutcome([...ledger, ...members])
      : await reconcileUser(deps, userId);
    return {
      userId,
      preferences: decodeStoredPreferences(row.data),
      version: row.version,
      changes: [],
      reconcile,
    };
  }

  const before = written.previousData === null
    ? effectivePreferences({})
    : decodeStoredPreferences(written.previousData);
  const next = decodeStoredPreferences(written.data);
  const changes = comparePreferences(before, next);
  deps.log.info("preferences.updated", {
    user: shortId(userId),
    version: written.version,
    changes: changes.length,
  });
  // Someone else holds the lease: they go round again for this version
  // before they let go (see reconcileUser), so there is nothing to wait for.
  const reconcile: ReconcileOutcome = written.leaseId === leaseId
    ? await reconcileUser(deps, userId, {
      leased: {
        leaseId,
        row: written,
        ledger,
        members,
        running: runningOf(state),
        preferences: next,
      },
    })
    : inProgress();
  return {
    userId,
    preferences: next,
    version: written.version,
    changes,
    reconcile,
  };
}

function inProgress(): ReconcileOutcome {
  return {
    status: "pending",
    created: [],
    updated: [],
    deleted: [],
    unchanged: [],
    reason: "in_progress",
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
