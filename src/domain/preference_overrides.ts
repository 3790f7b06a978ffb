import { NOTIFICATION_TYPES, perNotificationType } from "./catalogue.ts";
import {
  applyPatch,
  defaultPreferences,
  type PreferenceOverrides,
  type Preferences,
  type PreferencesPatch,
  preferencesPatchSchema,
  type TypePreference,
} from "./preferences.ts";

/**
 * What a user chose, and nothing else: the stored form of preferences.
 * A field the user never set is absent and follows the catalogue's default,
 * so what they see is always `effectivePreferences(overrides)`.
 *
 * Stored as JSON whose merge with a patch is SQLite's `json_patch` (RFC 7396:
 * objects merge key by key, arrays and values replace, null deletes), so a
 * PATCH is one atomic statement however many writers a user has at once. Two
 * things keep the stored text canonical enough to compare for "nothing
 * changed": keys always go out in one order (enabled, timezone, types, then
 * quietHours — the one optional key last, where json_patch appends it), and
 * values are normalised before they are written (sorted times, week-ordered
 * days, canonical zone names).
 */
export type { PreferenceOverrides };

/** The preferences a user has: catalogue defaults under their choices. */
export function effectivePreferences(o: PreferenceOverrides): Preferences {
  return applyPatch(defaultPreferences(), o);
}

/** Canonical JSON of stored overrides. */
export function encodeOverrides(o: PreferenceOverrides): string {
  return JSON.stringify({
    enabled: o.enabled,
    timezone: o.timezone,
    types: o.types && encodeTypes(o.types),
    quietHours: o.quietHours &&
      { start: o.quietHours.start, end: o.quietHours.end },
  });
}

/**
 * Canonical JSON of a patch, for `json_patch`: the same key order, and a
 * cleared quiet-hours window as null, which deletes the stored one.
 */
export function encodePatch(p: PreferencesPatch): string {
  return JSON.stringify({
    enabled: p.enabled,
    timezone: p.timezone,
    types: p.types && encodeTypes(p.types),
    quietHours: p.quietHours === null
      ? null
      : p.quietHours && { start: p.quietHours.start, end: p.quietHours.end },
  });
}

function encodeTypes(
  types: NonNullable<PreferencesPatch["types"]>,
): Record<string, Partial<TypePreference>> {
  const out: Record<string, Partial<TypePreference>> = {};
  for (const type of NOTIFICATION_TYPES) {
    const t = types[type.id];
    if (t) out[type.id] = { enabled: t.enabled, times: t.times, days: t.days };
  }
  return out;
}

/**
 * Reads stored overrides back. Written by Herald itself, but parsed, not
 * cast: a row from an older catalogue must fail loudly, not plan schedules
 * from garbage. Rows saved whole (every field set) read back as overrides
 * of everything, which they are.
 */
export function decodeOverrides(data: string): PreferenceOverrides {
  const parsed = preferencesPatchSchema.safeParse(JSON.parse(data));
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new Error(
      `Stored preferences are invalid at "${first?.path.join(".") ?? ""}": ${
        first?.message ?? ""
      }`,
    );
  }
  const { quietHours, ...rest } = parsed.data;
  return quietHours ? { ...rest, quietHours } : rest;
}

/**
 * What "active" needs to know of the catalogue, as JSON for the store's SQL
 * (`ports/preferences_store.ts`): whether notifications and each type are on
 * for a user who never said.
 */
export function activeDefaultsJson(): string {
  const defaults = defaultPreferences();
  return JSON.stringify({
    enabled: defaults.enabled,
    types: perNotificationType((type) => ({
      enabled: defaults.types[type.id].enabled,
    })),
  });
}
