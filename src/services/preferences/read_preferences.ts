import type { ServiceContext } from "../../context.ts";
import {
  defaultPreferences,
  type Preferences,
} from "../../domain/preferences/preferences.ts";
import { readStoredPreferences } from "../../store/preferences/preferences_store.ts";
import { decodeStoredPreferences } from "../schedules/stored_preferences.ts";

export interface PreferencesView {
  userId: string;
  preferences: Preferences;
  /** 0 until the user saves anything: the defaults are not stored. */
  version: number;
  /**
   * Whether what is shown is scheduled: `unsaved` for a user who never
   * saved (the catalogue's defaults, shown, but nothing scheduled until a
   * first save), else whether QStash holds the latest version.
   */
  sync: {
    status: "synced" | "pending" | "unsaved";
    syncedVersion: number;
  };
}

export async function readPreferences({ ctx, userId }: {
  ctx: ServiceContext;
  userId: string;
}): Promise<PreferencesView> {
  const [stored, catalogue] = await Promise.all([
    readStoredPreferences(ctx.db, userId),
    ctx.catalogue(),
  ]);
  if (!stored) {
    return {
      userId,
      preferences: defaultPreferences(catalogue),
      version: 0,
      sync: { status: "unsaved", syncedVersion: 0 },
    };
  }
  return {
    userId,
    preferences: decodeStoredPreferences(stored.data, catalogue),
    version: stored.version,
    sync: { status: stored.syncStatus, syncedVersion: stored.syncedVersion },
  };
}
