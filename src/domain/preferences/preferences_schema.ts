import { z } from "zod";
import type { Catalogue } from "../catalogue/catalogue.ts";
import { LOCAL_TIME_PATTERN } from "../time/local_time.ts";
import type { QuietHours } from "./preferences.ts";
import { canonicalTimeZone } from "../time/time_zone.ts";
import { inWeekOrder, WEEKDAYS } from "../time/weekday.ts";
import { formatIssuePath } from "../codecs/issue_path.ts";

/**
 * Each time becomes its own QStash schedule, and schedules are a scarce quota,
 * so one user cannot ask for an unbounded number of them.
 */
export const MAX_TIMES_PER_TYPE = 24;

type Path = readonly PropertyKey[];

/** How many unknown keys an error message names. */
const NAMED_KEYS = 10;

/** How much of a refused value an error message repeats. */
const QUOTED_CHARS = 64;

/** A value as an error names it: JSON, cut short when long. */
function quote(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > QUOTED_CHARS
    ? `${text.slice(0, QUOTED_CHARS)}… (${text.length} characters)`
    : text;
}

function subject(path: Path | undefined): string {
  return path && path.length > 0
    ? `Field "${formatIssuePath(path)}"`
    : "Preferences";
}

function describe(input: unknown): string {
  if (input === null) return "null";
  if (Array.isArray(input)) return "an array";
  if (typeof input === "object") return "an object";
  return quote(input);
}

const EXPECTED: Readonly<Record<string, string>> = {
  boolean: "true or false",
  string: "a string",
  array: "an array",
  object: "an object",
  record: "an object",
};

// Zod's own messages ("Invalid input: expected boolean, received string") do
// not say which field; these do, so a client can show them as they are. The
// messages live on the schemas rather than in the parse call so that anything
// validating with these schemas directly gets the same wording.
const structureError: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === "invalid_type") {
    if (issue.input === undefined) return `${subject(issue.path)} is required`;
    const expected = EXPECTED[issue.expected] ?? issue.expected;
    return `${subject(issue.path)} must be ${expected}, not ${
      describe(issue.input)
    }`;
  }
  if (issue.code === "unrecognized_keys") {
    const fields = issue.keys.slice(0, NAMED_KEYS).map((key) =>
      `"${formatIssuePath([...(issue.path ?? []), key])}"`
    );
    const more = issue.keys.length - fields.length;
    return `Unknown field${issue.keys.length > 1 ? "s" : ""} ${
      fields.join(", ")
    }${more > 0 ? ` and ${more} more` : ""}`;
  }
  return undefined;
};

const flag = z.boolean({ error: structureError });

const localTime = z.string({ error: structureError }).regex(
  LOCAL_TIME_PATTERN,
  {
    error: (issue) =>
      `Time ${quote(issue.input)} must be HH:MM between 00:00 and 23:59`,
  },
);

/** Flags every repeat after the first, at the repeat's own index. */
function listedOnce(what: string) {
  return (items: readonly string[], ctx: z.RefinementCtx) => {
    const seen = new Set<string>();
    items.forEach((item, index) => {
      if (seen.has(item)) {
        ctx.addIssue({
          code: "custom",
          path: [index],
          input: item,
          message: `${what} ${quote(item)} is listed more than once`,
        });
      }
      seen.add(item);
    });
  };
}

export const timesSchema = z.array(localTime, { error: structureError })
  .min(1, { error: "At least one time is required" })
  .max(MAX_TIMES_PER_TYPE, {
    error:
      `At most ${MAX_TIMES_PER_TYPE} times are allowed per notification type`,
  })
  .superRefine(listedOnce("Time"))
  // "HH:MM" sorts as text in time order.
  .transform((list) => [...list].sort());

const weekday = z.enum(WEEKDAYS, {
  error: (issue) =>
    `Day ${quote(issue.input)} must be one of ${WEEKDAYS.join(", ")}`,
});

export const daysSchema = z.array(weekday, { error: structureError })
  .min(1, { error: "At least one day is required" })
  .superRefine(listedOnce("Day"))
  .transform(inWeekOrder);

/** Longer than any IANA name (the longest is 32), so never looked up. */
const MAX_ZONE_CHARS = 64;

const timeZone = z.string({ error: structureError }).transform((name, ctx) => {
  const zone = name.length > MAX_ZONE_CHARS ? null : canonicalTimeZone(name);
  if (zone === null) {
    ctx.addIssue({
      code: "custom",
      input: name,
      message: `Time zone ${quote(name)} is not a known IANA time zone`,
    });
    return z.NEVER;
  }
  return zone;
});

// A window that starts and ends at the same minute is either empty or the
// whole day; neither is what anyone means, so it is refused, not guessed at.
const quietHours = z.strictObject({ start: localTime, end: localTime }, {
  error: structureError,
}).superRefine((window, ctx) => {
  if (window.start === window.end) {
    ctx.addIssue({
      code: "custom",
      input: window,
      message: `Quiet hours must start and end at different times (both are ${
        quote(window.start)
      })`,
    });
  }
});

// Web Push, overall or for one type: on or off (domain/push/push_policy.ts).
const channels = z.strictObject({ push: flag }, { error: structureError });

// Times, days and channels left out follow the type's default ones, now and
// after the operator changes them (see preference_overrides.ts).
const typePut = z.strictObject({
  enabled: flag,
  times: timesSchema.optional(),
  days: daysSchema.optional(),
  channels: channels.optional(),
}, { error: structureError });

// The keys are type ids; whether the catalogue has them is checked against
// the live catalogue (checkTypes), which no static schema can know.
const typesOf = <T extends z.ZodType>(value: T) =>
  z.record(z.string(), value, { error: structureError });

/**
 * A full replacement of what the user chose: the types listed (see
 * putOverrides for those left out). A type's times or days left out follow
 * its default ones.
 */
export const preferencesPutSchema = z.strictObject({
  enabled: flag,
  timezone: timeZone,
  quietHours: quietHours.nullable().optional(),
  channels: channels.optional(),
  types: typesOf(typePut),
}, { error: structureError });

export type PreferencesPut = z.output<typeof preferencesPutSchema>;

const typePatch = z.strictObject({
  enabled: flag.optional(),
  times: timesSchema.optional(),
  days: daysSchema.optional(),
  channels: channels.optional(),
}, { error: structureError });

/**
 * A field-by-field change; see applyPatch. Quiet hours are one value here
 * (both ends, or null to clear): patching one end alone could leave a window
 * with no other end, or with equal ends, and the merge must never fail.
 */
export const preferencesPatchSchema = z.strictObject({
  enabled: flag.optional(),
  timezone: timeZone.optional(),
  quietHours: quietHours.nullable().optional(),
  channels: channels.optional(),
  types: typesOf(typePatch).optional(),
}, { error: structureError });

export type PreferencesPatch = z.output<typeof preferencesPatchSchema>;

/**
 * What a user chose and nothing else: the stored form of preferences (see
 * preference_overrides.ts). A patch without a null: nothing to clear.
 */
export type PreferenceOverrides = Omit<PreferencesPatch, "quietHours"> & {
  quietHours?: QuietHours;
};

export interface ValidationIssue {
  /** Where the problem is, e.g. "types.morningDigest.times[0]"; "" for the whole body. */
  path: string;
  message: string;
}

export type ParseResult<T> =
  | { ok: true; value: T }
  | { ok: false; issues: ValidationIssue[] };

function toResult<T>(result: z.ZodSafeParseResult<T>): ParseResult<T> {
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((issue) => ({
      path: formatIssuePath(issue.path),
      message: issue.message,
    })),
  };
}

export function parsePreferencesPut(
  input: unknown,
): ParseResult<PreferencesPut> {
  return toResult(preferencesPutSchema.safeParse(input));
}

export function parsePreferencesPatch(
  input: unknown,
): ParseResult<PreferencesPatch> {
  return toResult(preferencesPatchSchema.safeParse(input));
}

/**
 * What no static schema can check: every type named is in the live
 * catalogue, and no critical type is switched off. One issue per problem,
 * at the type's path, like the schema's own.
 */
export function checkTypes(
  types:
    | Readonly<
      Record<string, { enabled?: boolean; channels?: { push: boolean } }>
    >
    | undefined,
  catalogue: Catalogue,
): { path: string[]; message: string }[] {
  const issues: { path: string[]; message: string }[] = [];
  for (const [id, value] of Object.entries(types ?? {})) {
    const type = catalogue.get(id);
    if (!type) {
      const known = catalogue.types.map((t) => t.id).join(", ");
      issues.push({
        path: ["types", id],
        message: `Unknown notification type ${quote(id)}; known types are ${
          known || "none"
        }`,
      });
    } else if (type.critical && value.enabled === false) {
      issues.push({
        path: ["types", id, "enabled"],
        message: `${quote(id)} is critical: it cannot be switched off`,
      });
    } else if (
      // A critical type whose policy pushes cannot be switched off; one
      // whose policy is "off" reads false, and saying so again is no change.
      type.critical && type.channels.push !== "off" &&
      value.channels?.push === false
    ) {
      issues.push({
        path: ["types", id, "channels", "push"],
        message: `${quote(id)} is critical: its push cannot be switched off`,
      });
    }
  }
  return issues;
}

/**
 * A PUT as stored overrides: what it lists, and every other catalogue type
 * switched off — what the client sent is all that will fire — except the
 * critical ones, which nobody switches off.
 */
export function putOverrides(
  put: PreferencesPut,
  catalogue: Catalogue,
): PreferenceOverrides {
  const types: NonNullable<PreferenceOverrides["types"]> = {};
  for (const type of catalogue.types) {
    const listed = put.types[type.id];
    if (listed) types[type.id] = listed;
    else if (!type.critical) types[type.id] = { enabled: false };
  }
  return {
    enabled: put.enabled,
    timezone: put.timezone,
    types,
    ...(put.quietHours ? { quietHours: put.quietHours } : {}),
    ...(put.channels ? { channels: put.channels } : {}),
  };
}
