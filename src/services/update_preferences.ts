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
  readStoredPreferences,
  writePreferences,
} from "../ports/preferences_store.ts";
import { heldSchedulesOf } from "../ports/schedule_ledger.ts";
import { type ReconcileOutcome, reconcileUser } from "./reconcile_user.ts";
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
    const stored = await readStoredPreferences(deps.db, userId);
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
        ? await unchangedOutcome(deps, userId)
        : await reconcileUser(deps, userId);
      return {
        userId,
        preferences: current,
        version: stored.version,
        changes,
        reconcile,
      };
    }

    const version = await writePreferences(deps.db, {
      userId,
      data: JSON.stringify(next),
      active: isActive(next),
      now: deps.now(),
    }, stored?.version ?? 0);
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
    const reconcile = await reconcileUser(deps, userId);
    return { userId, preferences: next, version, changes, reconcile };
  }
  throw new AppError(
    "conflict",
    "Too many concurrent writes to these preferences; try again",
  );
}

/** A user is active when on globally with at least one type on. */
export function isActive(prefs: Preferences): boolean {
  return prefs.enabled && Object.values(prefs.types).some((t) => t.enabled);
}

async function unchangedOutcome(
  deps: Deps,
  userId: string,
): Promise<ReconcileOutcome> {
  const held = await heldSchedulesOf(deps.db, userId);
  return {
    status: "synced",
    created: [],
    updated: [],
    deleted: [],
    unchanged: held.map((s) => s.id),
  };
}
