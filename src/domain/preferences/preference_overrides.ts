import type { Catalogue } from "../catalogue/catalogue.ts";
import { isLocalTime } from "../time/local_time.ts";
import {
  applyPatch,
  defaultPreferences,
  type PreferenceOverrides,
  type Preferences,
  type PreferencesPatch,
  type TypePreference,
} from "./preferences.ts";
import { canonicalTimeZone } from "../time/time_zone.ts";
import { type Weekday, WEEKDAYS } from "../time/weekday.ts";

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
 * the optional keys quietHours and channels last, where json_patch appends
 * them — two optional keys added in the other order by two patches read as
 * a change once more, a harmless extra version), and
 * values are normalised before they are written (sorted times, week-ordered
 * days, canonical zone names).
 */
export type { PreferenceOverrides };

/**
 * The preferences a user has: the live catalogue's defaults under their
 * choices (choices about types the catalogue no longer has drop out).
 */
export function effectivePreferences(
  o: PreferenceOverrides,
  catalogue: Catalogue,
): Preferences {
  return applyPatch(defaultPreferences(catalogue), o, catalogue);
}

/** Canonical JSON of stored overrides. */
export function encodeOverrides(o: PreferenceOverrides): string {
  return JSON.stringify({
    enabled: o.enabled,
    timezone: o.timezone,
    types: o.types && encodeTypes(o.types),
    quietHours: o.quietHours &&
      { start: o.quietHours.start, end: o.quietHours.end },
    channels: o.channels && { push: o.channels.push },
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
    channels: p.channels && { push: p.channels.push },
  });
}

/** Types by id in sorted order, each's fields in one order. */
function encodeTypes(
  types: NonNullable<PreferencesPatch["types"]>,
): Record<string, Partial<TypePreference>> {
  const out: Record<string, Partial<TypePreference>> = {};
  for (const id of Object.keys(types).sort()) {
    const t = types[id];
    if (t) {
      out[id] = {
        enabled: t.enabled,
        times: t.times,
        days: t.days,
        channels: t.channels && { push: t.channels.push },
      };
    }
  }
  return out;
}

/**
 * Reads stored overrides back. Herald wrote them (validated on the way in),
 * but they are still checked, not cast: a row must fail loudly rather than
 * plan schedules from garbage. Hand-written rather than zod, because every
 * delivery, slot page and restart page reads rows by the hundred and zod's
 * checks (with their error messages, which nobody reads here) cost several
 * times the JSON parse; the rules themselves are the same small predicates
 * the input schema uses. Rows saved whole read back as overrides of
 * everything, which they are; a type no longer in the catalogue reads back
 * too, and effectivePreferences() leaves it out.
 */
export function decodeOverrides(data: string): PreferenceOverrides {
  const value: unknown = JSON.parse(data);
  if (!isRecord(value)) throw invalid("");
  const out: PreferenceOverrides = {};
  if (value.enabled !== undefined) out.enabled = flag(value.enabled, "enabled");
  if (value.timezone !== undefined) {
    const zone = typeof value.timezone === "string"
      ? canonicalTimeZone(value.timezone)
      : null;
    if (zone === null) throw invalid("timezone");
    out.timezone = zone;
  }
  if (value.quietHours !== undefined && value.quietHours !== null) {
    const q = value.quietHours;
    if (!isRecord(q) || !isTime(q.start) || !isTime(q.end)) {
      throw invalid("quietHours");
    }
    out.quietHours = { start: q.start, end: q.end };
  }
  if (value.channels !== undefined) {
    out.channels = channelsOf(value.channels, "channels");
  }
  if (value.types !== undefined) {
    if (!isRecord(value.types)) throw invalid("types");
    const types: NonNullable<PreferenceOverrides["types"]> = {};
    for (const [id, t] of Object.entries(value.types)) {
      if (!isRecord(t)) throw invalid(`types.${id}`);
      const read: Partial<TypePreference> = {};
      if (t.enabled !== undefined) {
        read.enabled = flag(t.enabled, `types.${id}.enabled`);
      }
      if (t.times !== undefined) {
        if (!nonEmptyListOf(t.times, isTime)) {
          throw invalid(`types.${id}.times`);
        }
        read.times = t.times;
      }
      if (t.days !== undefined) {
        if (!nonEmptyListOf(t.days, isWeekday)) {
          throw invalid(`types.${id}.days`);
        }
        read.days = t.days;
      }
      if (t.channels !== undefined) {
        read.channels = channelsOf(t.channels, `types.${id}.channels`);
      }
      types[id] = read;
    }
    out.types = types;
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isTime(value: unknown): value is string {
  return typeof value === "string" && isLocalTime(value);
}

function isWeekday(value: unknown): value is Weekday {
  return typeof value === "string" && WEEKDAY_SET.has(value);
}

const WEEKDAY_SET: ReadonlySet<string> = new Set(WEEKDAYS);

function nonEmptyListOf<T>(
  value: unknown,
  is: (item: unknown) => item is T,
): value is T[] {
  return Array.isArray(value) && value.length > 0 && value.every(is);
}

function channelsOf(value: unknown, path: string): { push: boolean } {
  if (!isRecord(value)) throw invalid(path);
  return { push: flag(value.push, `${path}.push`) };
}

function flag(value: unknown, path: string): boolean {
  if (typeof value !== "boolean") throw invalid(path);
  return value;
}

function invalid(path: string): Error {
  return new Error(`Stored preferences are invalid at "${path}"`);
}
