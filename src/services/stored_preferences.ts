import {
  parsePreferencesPut,
  type Preferences,
} from "../domain/preferences.ts";

/**
 * Stored preferences are written by Herald itself, but they are still parsed,
 * not cast: a row written by an older catalogue must fail loudly, not plan
 * schedules from garbage.
 */
export function decodeStoredPreferences(data: string): Preferences {
  const parsed = parsePreferencesPut(JSON.parse(data));
  if (!parsed.ok) {
    const first = parsed.issues[0];
    throw new Error(
      `Stored preferences are invalid at "${first?.path ?? ""}": ${
        first?.message ?? ""
      }`,
    );
  }
  return parsed.value;
}
