import { type Catalogue, defaultsOf } from "../catalogue/catalogue.ts";
import type { PreferencesPatch } from "./preferences_schema.ts";
import type { Weekday } from "../time/weekday.ts";

// The one place callers import the preference model from; validation and
// comparison live in their own files to keep each small.
export type { Weekday } from "../time/weekday.ts";
export {
  checkTypes,
  MAX_TIMES_PER_TYPE,
  parsePreferencesPatch,
  parsePreferencesPut,
  type ParseResult,
  type PreferenceOverrides,
  type PreferencesPatch,
  preferencesPatchSchema,
  type PreferencesPut,
  preferencesPutSchema,
  putOverrides,
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
  /**
   * Web Push for this type: the user's say, or else on unless the type's
   * policy is `off` (domain/push/push_policy.ts decides what that means).
   */
  channels: { push: boolean };
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
  /** Web Push overall: false switches off every push but critical types'. */
  channels: { push: boolean };
  /** Every catalogue type, in catalogue order. */
  types: Record<string, TypePreference>;
}

/** What a user has before saving anything: on, in UTC, catalogue defaults. */
export function defaultPreferences(catalogue: Catalogue): Preferences {
  const types: Record<string, TypePreference> = {};
  for (const type of catalogue.types) types[type.id] = defaultsOf(type);
  return {
    enabled: true,
    timezone: "UTC",
    quietHours: null,
    channels: { push: true },
    types,
  };
}

/**
 * Merges a validated patch into the current preferences, field by field,
 * over the catalogue's types (in its order): a type the current preferences
 * lack starts from its defaults; a type the catalogue no longer has is
 * dropped. Total by construction: every patchable field is valid on its
 * own, so any valid patch over valid preferences gives valid preferences.
 * The result shares no arrays or objects with either input.
 */
export function applyPatch(
  current: Preferences,
  patch: PreferencesPatch,
  catalogue: Catalogue,
): Preferences {
  const saved: Partial<Record<string, TypePreference>> = current.types;
  const quietHours = patch.quietHours === undefined
    ? current.quietHours
    : patch.quietHours;
  const types: Record<string, TypePreference> = {};
  for (const type of catalogue.types) {
    const base = saved[type.id] ?? defaultsOf(type);
    const change = patch.types?.[type.id];
    types[type.id] = {
      enabled: change?.enabled ?? base.enabled,
      times: [...(change?.times ?? base.times)],
      days: [...(change?.days ?? base.days)],
      channels: {
        push: change?.channels?.push ?? base.channels.push,
      },
    };
  }
  return {
    enabled: patch.enabled ?? current.enabled,
    timezone: patch.timezone ?? current.timezone,
    quietHours: quietHours && { start: quietHours.start, end: quietHours.end },
    channels: { push: patch.channels?.push ?? current.channels.push },
    types,
  };
}
