import {
  decodeOverrides,
  effectivePreferences,
} from "../domain/preference_overrides.ts";
import type { Preferences } from "../domain/preferences.ts";

/** A stored row's preferences: catalogue defaults under the user's choices. */
export function decodeStoredPreferences(data: string): Preferences {
  return effectivePreferences(decodeOverrides(data));
}
