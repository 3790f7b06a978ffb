import type { Catalogue } from "../../domain/catalogue/catalogue.ts";
import {
  decodeOverrides,
  effectivePreferences,
} from "../../domain/preferences/preference_overrides.ts";
import type { Preferences } from "../../domain/preferences/preferences.ts";

/**
 * A stored row's preferences: the live catalogue's defaults under the
 * user's choices.
 */
export function decodeStoredPreferences(
  data: string,
  catalogue: Catalogue,
): Preferences {
  return effectivePreferences(decodeOverrides(data), catalogue);
}

/** The types nobody may switch off, for the planners. */
export function criticalTypes(catalogue: Catalogue): Set<string> {
  return new Set(catalogue.types.filter((t) => t.critical).map((t) => t.id));
}
