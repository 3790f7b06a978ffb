import {
  applyPatch,
  comparePreferences,
  defaultPreferences,
  type PreferenceChange,
  type Preferences,
  type PreferencesPatch,
} from "../domain/preferences.ts";
import { AppError } from "../errors.ts";
import type { AppDeps } from "../deps.ts";
import { shortId } from "../ports/logger.ts";
import {
  acquireLeaseQuery,
  readPreferencesQuery,
  writePreferencesQuery,
} from "../ports/preferences_store.ts";
import { heldQuery } from "../ports/schedule_ledger.ts";
import { runningOf, runningQuery } from "../ports/scheduler_state_store.ts";
import {
  LEASE_MS,
  type ReconcileOutcome,
  reconcileUser,
} from "./reconcile_user.ts";
import { decodeStoredPreferences } from "./stored_preferences.ts";

export type PreferencesUpdate =
  | { mode: "replace"; preferences: Preferences }
  | { mode: "merge"; patch: PreferencesPatch };

export interface PreferencesUpdateResult {
  userId: string;
  preferences: Preferences;
  version: number;
  changes: PreferenceChange[];
  reconcile: ReconcileOutcome;
}

type Deps = Pick<AppDeps, "db" | "scheduler" | "log" | "now" | "config">;

/** Concurrent writers for one user retry their compare-and-set this often. */
const MAX_WRITE_ATTEMPTS = 200;

/**
 * Saves a user's preferences (replace or field-by-field merge) as a new
 * version, then reconciles that user's schedules at once. The save is a
 * compare-and-set on the version, so concurrent merges never lose a field;
 * a write that changes nothing saves nothing and calls QStash zero times.
 */
export async function updatePreferences(
  deps: Deps,
  userId: string,
  update: PreferencesUpdate,
): Promise<PreferencesUpdateResult> {
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    // The ledger comes along: a no-op write answers from it, in one trip.
    const [storedRows, held] = await deps.db.batch([
      readPreferencesQuery(deps.db, userId),
      heldQuery(deps.db, userId),
    ]);
    const stored = storedRows[0] ?? null;
    const current = stored
      ? decodeStoredPreferences(stored.data)
      : defaultPreferences();
    const next = update.mode === "replace"
      ? update.preferences
      : applyPatch(current, update.patch);
    const changes = stored
      ? comparePreferences(current, next)
      : comparePreferences(defaultPreferences(), next);

    if (stored && changes.length === 0) {
      const reconcile = stored.syncStatus === "synced"
        ? unchangedOutcome(held)
        : await reconcileUser(deps, userId);
      return {
        userId,
        preferences: current,
        version: stored.version,
        changes,
        reconcile,
      };
    }

    // The write, the reconcile lease (only if this write went in), the
    // ledger and the scheduler's state: one round trip.
    const now = deps.now();
    const leaseId = crypto.randomUUID();
    const [written, leased, ledger, state] = await deps.db.batch([
      writePreferencesQuery(deps.db, {
        userId,
        data: JSON.stringify(next),
        active: isActive(next),
        now,
      }, stored?.version ?? 0),
      acquireLeaseQuery(deps.db, userId, leaseId, now, LEASE_MS, true),
      heldQuery(deps.db, userId),
      runningQuery(deps.db),
    ]);
    const version = written[0]?.version ?? null;
    if (version === null) {
      // Someone saved first: merge onto theirs. Jitter spreads the retries.
      await new Promise((r) => setTimeout(r, Math.random() * 4));
      continue;
    }
    deps.log.info("preferences.updated", {
      user: shortId(userId),
      version,
      changes: changes.length,
    });
    const row = leased[0];
    const reconcile = await reconcileUser(deps, userId, {
      leased: row
        ? {
          leaseId,
          row,
          ledger,
          running: runningOf(state),
          preferences: next,
        }
        : undefined,
    });
    return { userId, preferences: next, version, changes, reconcile };
  }
  throw new AppError(
    "conflict",
    "Too many concurrent writes to these preferences; try again",
  );
}

/** A user is active when on globally with at least one type on. */
function isActive(prefs: Preferences): boolean {
  return prefs.enabled && Object.values(prefs.types).some((t) => t.enabled);
}

function unchangedOutcome(held: readonly { id: string }[]): ReconcileOutcome {
  return {
    status: "synced",
    created: [],
    updated: [],
    deleted: [],
    unchanged: held.map((s) => s.id),
  };
}
