import {
  catalogueDefaults,
  type NotificationTypeId,
  perNotificationType,
} from "./catalogue.ts";
import type { PreferencesPatch } from "./preferences_schema.ts";
import type { Weekday } from "./weekday.ts";

// The one place callers import the preference model from; validation and
// comparison live in their own files to keep each small.
export type { Weekday } from "./weekday.ts";
export {
  MAX_TIMES_PER_TYPE,
  parsePreferencesPatch,
  parsePreferencesPut,
  type ParseResult,
  type PreferenceOverrides,
  type PreferencesPatch,
  preferencesPatchSchema,
  preferencesPutSchema,
  type ValidationIssue,
} from "./preferences_schema.ts";
export {
  comparePreferences,
  type PreferenceChange,
} from "./preferences_compare.ts";

export interface TypePreference {
  enabled: boolean;
  /** Local "HH:MM" times, sorted and unique. */
  times: string[];
  /** Monday-first, unique. */
  days: Weekday[];
}

export interface QuietHours {
  start: string;
  end: string;
}

export interface Preferences {
  enabled: boolean;
  /** IANA zone name, as the zone database spells it. */
  timezone: string;
  quietHours: QuietHours | null;
  /** Every catalogue type, in catalogue order. */
  types: Record<NotificationTypeId, TypePreference>;
}

/** What a user has before saving anything: on, in UTC, catalogue defaults. */
export function defaultPreferences(): Preferences {
  return {
    enabled: true,
    timezone: "UTC",
    quietHours: null,
    types: perNotificationType(catalogueDefaults),
  };
}

/**
 * Merges a validated patch into the current preferences, field by field.
 * Total by construction: every patchable field is valid on its own, so any
 * valid patch over valid preferences gives valid preferences.
 * The result shares no arrays or objects with either input.
 */
export function applyPatch(
  current: Preferences,
  patch: PreferencesPatch,
): Preferences {
  // Preferences saved before a type joined the catalogue lack it; widening the
  // record makes the lookup below admit that, and the type starts from its
  // catalogue defaults.
  const saved: Partial<Record<NotificationTypeId, TypePreference>> =
    current.types;
  const quietHours = patch.quietHours === undefined
    ? current.quietHours
    : patch.quietHours;
  return {
    enabled: patch.enabled ?? current.enabled,
    timezone: patch.timezone ?? current.timezone,
    quietHours: quietHours && { start: quietHours.start, end: quietHours.end },
    types: perNotificationType((type) => {
      const base = saved[type.id] ?? catalogueDefaults(type);
      const change = patch.types?.[type.id];
      return {
        enabled: change?.enabled ?? base.enabled,
        times: [...(change?.times ?? base.times)],
        days: [...(change?.days ?? base.days)],
      };
    }),
  };
}
