import { defaultPreferences, type Preferences } from "../domain/preferences.ts";
import type { AppDeps } from "../deps.ts";
import { readStoredPreferences } from "../ports/preferences_store.ts";
import { decodeStoredPreferences } from "./stored_preferences.ts";

export interface PreferencesView {
  userId: string;
  preferences: Preferences;
  /** 0 until the user saves anything: the defaults are not stored. */
  version: number;
  sync: { status: "synced" | "pending"; syncedVersion: number };
}

export async function readPreferences(
  deps: Pick<AppDeps, "db">,
  userId: string,
): Promise<PreferencesView> {
  const stored = await readStoredPreferences(deps.db, userId);
  if (!stored) {
    return {
      userId,
      preferences: defaultPreferences(),
      version: 0,
      sync: { status: "synced", syncedVersion: 0 },
    };
  }
  return {
    userId,
    preferences: decodeStoredPreferences(stored.data),
    version: stored.version,
    sync: { status: stored.syncStatus, syncedVersion: stored.syncedVersion },
  };
}
