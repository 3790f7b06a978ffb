// node:assert ships with Deno; @std/assert would have to come from JSR, which
// this project's machines cannot reach.
import assert from "node:assert/strict";
import { catalogueOf } from "../../src/domain/catalogue/catalogue.ts";
import { effectivePreferences } from "../../src/domain/preferences/preference_overrides.ts";
import {
  applyPatch,
  checkTypes,
  comparePreferences,
  defaultPreferences,
  MAX_TIMES_PER_TYPE,
  parsePreferencesPatch,
  parsePreferencesPut,
  type ParseResult,
  type Preferences,
  type PreferencesPatch,
  preferencesPutSchema,
  putOverrides,
} from "../../src/domain/preferences/preferences.ts";
import { formatIssuePath } from "../../src/domain/codecs/issue_path.ts";
import { DEMO } from "../support/demo_catalogue.ts";

/** The request body from the API documentation. */
function examplePut(): Record<string, unknown> {
  return {
    enabled: true,
    timezone: "Europe/Paris",
    quietHours: { start: "22:00", end: "07:00" },
    types: {
      morningDigest: {
        enabled: true,
        times: ["09:30"],
        days: ["mon", "tue", "wed", "thu", "fri"],
      },
      taskReminder: { enabled: true, times: ["14:00", "17:30"] },
    },
  };
}

function valid<T>(result: ParseResult<T>): T {
  if (!result.ok) {
    throw new Error(
      `Expected valid input, got ${JSON.stringify(result.issues)}`,
    );
  }
  return result.value;
}

/** Asserts the input was rejected with an issue at `path` whose message mentions `mention`. */
function assertRejected<T>(
  result: ParseResult<T>,
  path: string,
  mention: string,
): void {
  assert.ok(!result.ok, `Expected "${path}" to be rejected`);
  const issue = result.issues.find((candidate) => candidate.path === path);
  assert.ok(
    issue,
    `No issue at "${path}"; got ${JSON.stringify(result.issues)}`,
  );
  assert.ok(
    issue.message.includes(mention),
    `Message at "${path}" should mention ${mention}: ${issue.message}`,
  );
}

function putWithMorningDigest(digest: unknown): Record<string, unknown> {
  return { ...examplePut(), types: { morningDigest: digest } };
}

/**
 * A PUT as the user then has it: what they chose over the demo catalogue's
 * defaults, with the catalogue's own checks after the schema's.
 */
function parsePut(input: unknown): ParseResult<Preferences> {
  const result = parsePreferencesPut(input);
  if (!result.ok) return result;
  const issues = checkTypes(result.value.types, DEMO);
  if (issues.length) {
    return {
      ok: false,
      issues: issues.map((i) => ({
        path: formatIssuePath(i.path),
        message: i.message,
      })),
    };
  }
  return {
    ok: true,
    value: effectivePreferences(putOverrides(result.value, DEMO), DEMO),
  };
}

function savedExample(): Preferences {
  return valid(parsePut(examplePut()));
}

Deno.test("the demo catalogue offers today's four types, in order", () => {
  assert.deepStrictEqual(DEMO.types.map((t) => t.id), [
    "morningDigest",
    "taskReminder",
    "eveningSummary",
    "weeklyReport",
  ]);
  assert.ok(DEMO.get("weeklyReport"));
  assert.equal(DEMO.get("WeeklyReport"), undefined);
  assert.equal(DEMO.get("toString"), undefined);
});

Deno.test("checkTypes() names a type the catalogue lacks, and a critical type switched off", () => {
  const [digest] = DEMO.types;
  assert.ok(digest);
  const catalogue = catalogueOf([{ ...digest, id: "outage", critical: true }]);
  assert.deepStrictEqual(
    checkTypes({ outage: { enabled: false }, promo: {} }, catalogue),
    [
      {
        path: ["types", "outage", "enabled"],
        message: '"outage" is critical: it cannot be switched off',
      },
      {
        path: ["types", "promo"],
        message: 'Unknown notification type "promo"; known types are outage',
      },
    ],
  );
  assert.deepStrictEqual(
    checkTypes({ outage: { enabled: true } }, catalogue),
    [],
  );
  assert.deepStrictEqual(checkTypes(undefined, catalogue), []);
});

Deno.test("putOverrides() switches off the types a PUT leaves out, except critical ones", () => {
  const [digest, reminder] = DEMO.types;
  assert.ok(digest && reminder);
  const catalogue = catalogueOf([digest, { ...reminder, critical: true }]);
  const stored = putOverrides(
    { enabled: false, timezone: "UTC", types: {} },
    catalogue,
  );
  assert.deepStrictEqual(stored.types, { morningDigest: { enabled: false } });
  const prefs = effectivePreferences(stored, catalogue);
  assert.equal(prefs.types.taskReminder?.enabled, true);
});

Deno.test("every catalogue type's defaults would pass validation themselves", () => {
  for (const type of DEMO.types) {
    const result = parsePut({
      enabled: true,
      timezone: "UTC",
      types: {
        [type.id]: {
          enabled: type.enabled,
          times: type.times,
          days: type.days,
        },
      },
    });
    assert.deepStrictEqual(valid(result).types[type.id], {
      enabled: type.enabled,
      times: [...type.times],
      days: [...type.days],
      channels: { push: type.channels.push !== "off" },
    });
  }
});

Deno.test("defaultPreferences(DEMO) is on, in UTC, with every type at its catalogue defaults", () => {
  const prefs = defaultPreferences(DEMO);
  assert.deepStrictEqual(prefs.enabled, true);
  assert.deepStrictEqual(prefs.timezone, "UTC");
  assert.deepStrictEqual(prefs.quietHours, null);
  assert.deepStrictEqual(
    Object.keys(prefs.types),
    DEMO.types.map((t) => t.id),
  );
  assert.deepStrictEqual(prefs.types.weeklyReport!.days, ["mon"]);
  assert.deepStrictEqual(prefs.types.morningDigest!.days.length, 7);
});

Deno.test("defaultPreferences(DEMO) hands out copies the catalogue cannot be changed through", () => {
  defaultPreferences(DEMO).types.morningDigest!.times.push("23:59");
  assert.deepStrictEqual(defaultPreferences(DEMO).types.morningDigest!.times, [
    "08:00",
  ]);
});

Deno.test("parsePreferencesPut() accepts the documented example", () => {
  const prefs = savedExample();
  assert.deepStrictEqual(prefs.timezone, "Europe/Paris");
  assert.deepStrictEqual(prefs.quietHours, { start: "22:00", end: "07:00" });
  assert.deepStrictEqual(prefs.types.morningDigest, {
    enabled: true,
    times: ["09:30"],
    days: ["mon", "tue", "wed", "thu", "fri"],
    channels: { push: false },
  });
});

Deno.test("parsePreferencesPut() leaves a type's days to its default days when none are given", () => {
  assert.deepStrictEqual(
    valid(parsePreferencesPut(examplePut())).types?.taskReminder,
    { enabled: true, times: ["14:00", "17:30"] },
  );
  assert.deepStrictEqual(savedExample().types.taskReminder!.days, [
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
  ]);
});

Deno.test("parsePreferencesPut() stores absent types as off, keeping their catalogue times and days", () => {
  const prefs = savedExample();
  assert.deepStrictEqual(prefs.types.weeklyReport, {
    enabled: false,
    times: ["09:00"],
    days: ["mon"],
    channels: { push: false },
  });
  assert.deepStrictEqual(prefs.types.eveningSummary!.enabled, false);
});

Deno.test("parsePreferencesPut() sorts times and puts days in week order", () => {
  const prefs = valid(parsePut(putWithMorningDigest({
    enabled: true,
    times: ["18:00", "07:15", "12:00"],
    days: ["sun", "wed", "mon"],
  })));
  assert.deepStrictEqual(prefs.types.morningDigest!.times, [
    "07:15",
    "12:00",
    "18:00",
  ]);
  assert.deepStrictEqual(prefs.types.morningDigest!.days, [
    "mon",
    "wed",
    "sun",
  ]);
});

Deno.test("parsePreferencesPut() stores a time zone as written when the zone database spells it so, else its current name", () => {
  for (
    const [given, stored] of [
      ["UTC", "UTC"],
      ["europe/paris", "Europe/Paris"],
      // The engine's own name for these is the older spelling.
      ["Asia/Kathmandu", "Asia/Kathmandu"],
      ["Europe/Kyiv", "Europe/Kyiv"],
      ["asia/kolkata", "Asia/Kolkata"],
      ["asia/calcutta", "Asia/Kolkata"],
      // An old spelling written exactly is still the caller's choice.
      ["Asia/Calcutta", "Asia/Calcutta"],
      // A link becomes the zone it names.
      ["US/Eastern", "America/New_York"],
    ]
  ) {
    assert.deepStrictEqual(
      valid(parsePut({ ...examplePut(), timezone: given })).timezone,
      stored,
    );
  }
  assert.deepStrictEqual(
    valid(
      parsePut({ ...examplePut(), timezone: "America/New_York" }),
    ).timezone,
    "America/New_York",
  );
});

Deno.test("parsePreferencesPut() treats missing and null quiet hours alike", () => {
  const { quietHours: _, ...withoutQuietHours } = examplePut();
  assert.deepStrictEqual(
    valid(parsePut(withoutQuietHours)).quietHours,
    null,
  );
  assert.deepStrictEqual(
    valid(parsePut({ ...examplePut(), quietHours: null }))
      .quietHours,
    null,
  );
});

Deno.test("parsePreferencesPut() rejects malformed times, naming the time and where it is", () => {
  for (
    const time of [
      "25:61",
      "9:30",
      "09:3",
      "24:00",
      "12:60",
      "",
      "09:30 ",
      "09h30",
    ]
  ) {
    assertRejected(
      parsePut(
        putWithMorningDigest({ enabled: true, times: ["08:00", time] }),
      ),
      "types.morningDigest.times[1]",
      JSON.stringify(time),
    );
  }
});

Deno.test("parsePreferencesPut() accepts the first and last minute of the day", () => {
  const prefs = valid(parsePut(putWithMorningDigest({
    enabled: true,
    times: ["23:59", "00:00"],
  })));
  assert.deepStrictEqual(prefs.types.morningDigest!.times, ["00:00", "23:59"]);
});

Deno.test("parsePreferencesPut() rejects a type with an empty list of times", () => {
  assertRejected(
    parsePut(putWithMorningDigest({ enabled: true, times: [] })),
    "types.morningDigest.times",
    "At least one time",
  );
});

Deno.test("parsePreferencesPut() leaves a type's times to its default times when none are given", () => {
  const put = valid(parsePreferencesPut(
    putWithMorningDigest({ enabled: true }),
  ));
  assert.deepStrictEqual(put.types.morningDigest, { enabled: true });
  const stored = putOverrides(put, DEMO);
  assert.deepStrictEqual(stored.types?.morningDigest, { enabled: true });
  assert.deepStrictEqual(
    effectivePreferences(stored, DEMO).types.morningDigest!.times,
    ["08:00"],
  );
  // The operator moves the type's default time: the user, who never chose
  // one, moves with it.
  const digest = DEMO.get("morningDigest");
  assert.ok(digest);
  const moved = catalogueOf([{ ...digest, times: ["07:15", "12:00"] }]);
  assert.deepStrictEqual(effectivePreferences(stored, moved).types, {
    morningDigest: {
      enabled: true,
      times: ["07:15", "12:00"],
      days: digest.days,
      channels: { push: false },
    },
  });
});

Deno.test("parsePreferencesPut() rejects a time listed twice, saying which one", () => {
  assertRejected(
    parsePut(putWithMorningDigest({
      enabled: true,
      times: ["09:30", "10:00", "09:30"],
    })),
    "types.morningDigest.times[2]",
    '"09:30" is listed more than once',
  );
});

Deno.test("parsePreferencesPut() caps the number of times per type", () => {
  // Every half hour from midnight: all distinct and valid, one too many.
  const times = Array.from(
    { length: MAX_TIMES_PER_TYPE + 1 },
    (_, index) =>
      `${String(Math.floor(index / 2)).padStart(2, "0")}:${
        index % 2 ? "30" : "00"
      }`,
  );
  assert.deepStrictEqual(new Set(times).size, MAX_TIMES_PER_TYPE + 1);
  assertRejected(
    parsePut(putWithMorningDigest({ enabled: true, times })),
    "types.morningDigest.times",
    `At most ${MAX_TIMES_PER_TYPE}`,
  );
});

Deno.test("parsePreferencesPut() rejects unknown, repeated and missing days", () => {
  const digest = (days: unknown) =>
    putWithMorningDigest({ enabled: true, times: ["09:00"], days });
  assertRejected(
    parsePut(digest(["Monday"])),
    "types.morningDigest.days[0]",
    '"Monday"',
  );
  assertRejected(
    parsePut(digest(["MON"])),
    "types.morningDigest.days[0]",
    '"MON"',
  );
  assertRejected(
    parsePut(digest(["mon", "tue", "mon"])),
    "types.morningDigest.days[2]",
    '"mon" is listed more than once',
  );
  assertRejected(
    parsePut(digest([])),
    "types.morningDigest.days",
    "At least one day",
  );
  assertRejected(
    parsePut(digest("mon")),
    "types.morningDigest.days",
    "an array",
  );
});

Deno.test("parsePreferencesPut() rejects time zones the zone database does not know", () => {
  for (const timezone of ["Mars/Olympus", "", "+01:00", "Europe/Pariss"]) {
    assertRejected(
      parsePut({ ...examplePut(), timezone }),
      "timezone",
      `Time zone ${JSON.stringify(timezone)}`,
    );
  }
  assertRejected(
    parsePut({ ...examplePut(), timezone: 1 }),
    "timezone",
    "a string",
  );
});

Deno.test("parsePreferencesPut() rejects quiet hours that start when they end", () => {
  assertRejected(
    parsePut({
      ...examplePut(),
      quietHours: { start: "22:00", end: "22:00" },
    }),
    "quietHours",
    '"22:00"',
  );
});

Deno.test("parsePreferencesPut() rejects quiet hours with a bad or missing end", () => {
  const put = (quietHours: unknown) =>
    parsePut({ ...examplePut(), quietHours });
  assertRejected(
    put({ start: "7:00", end: "08:00" }),
    "quietHours.start",
    '"7:00"',
  );
  assertRejected(put({ start: "22:00" }), "quietHours.end", "is required");
  assertRejected(put("22:00-07:00"), "quietHours", "an object");
});

Deno.test("parsePreferencesPut() rejects unknown fields at every level, naming them", () => {
  assertRejected(
    parsePut({ ...examplePut(), colour: "red" }),
    "",
    '"colour"',
  );
  assertRejected(
    parsePut(
      putWithMorningDigest({ enabled: true, times: ["09:00"], sound: "ding" }),
    ),
    "types.morningDigest",
    '"types.morningDigest.sound"',
  );
  assertRejected(
    parsePut({
      ...examplePut(),
      quietHours: { start: "22:00", end: "07:00", tz: "UTC" },
    }),
    "quietHours",
    '"quietHours.tz"',
  );
});

Deno.test("a PUT naming a type the catalogue does not have is refused, naming it", () => {
  assertRejected(
    parsePut({
      ...examplePut(),
      types: {
        morningDigest: { enabled: true, times: ["09:00"] },
        birthdayCard: { enabled: true, times: ["09:00"] },
      },
    }),
    "types.birthdayCard",
    '"birthdayCard"',
  );
});

Deno.test("parsePreferencesPut() requires the global switch, the time zone and the types", () => {
  const result = parsePut({});
  assertRejected(result, "enabled", "is required");
  assertRejected(result, "timezone", "is required");
  assertRejected(result, "types", "is required");
});

Deno.test("parsePreferencesPut() requires each listed type's switch", () => {
  assertRejected(
    parsePut(putWithMorningDigest({ times: ["09:00"] })),
    "types.morningDigest.enabled",
    "is required",
  );
});

Deno.test("parsePreferencesPut() rejects values of the wrong type", () => {
  assertRejected(
    parsePut({ ...examplePut(), enabled: "yes" }),
    "enabled",
    '"yes"',
  );
  assertRejected(
    parsePut({ ...examplePut(), enabled: 1 }),
    "enabled",
    "true or false",
  );
  assertRejected(
    parsePut({ ...examplePut(), types: [] }),
    "types",
    "an object",
  );
  assertRejected(
    parsePut(putWithMorningDigest({ enabled: true, times: [930] })),
    "types.morningDigest.times[0]",
    "a string",
  );
  assertRejected(
    parsePut(putWithMorningDigest(true)),
    "types.morningDigest",
    "an object",
  );
  assertRejected(parsePut(null), "", "an object");
  assertRejected(parsePut("{}"), "", "an object");
});

Deno.test("preferencesPutSchema carries the same field-naming messages as parsePut()", () => {
  const result = preferencesPutSchema.safeParse({
    ...examplePut(),
    enabled: "yes",
  });
  assert.ok(!result.success);
  assert.match(
    result.error.issues[0]?.message ?? "",
    /^Field "enabled" must be true or false/,
  );
});

Deno.test("parsePreferencesPatch() accepts an empty patch and any subset of fields", () => {
  assert.deepStrictEqual(valid(parsePreferencesPatch({})), {});
  assert.deepStrictEqual(
    valid(
      parsePreferencesPatch({
        types: { taskReminder: { days: ["sun", "mon"] } },
      }),
    ),
    {
      types: { taskReminder: { days: ["mon", "sun"] } },
    },
  );
});

Deno.test("parsePreferencesPatch() validates every field it is given like a PUT does", () => {
  assertRejected(
    parsePreferencesPatch({ types: { taskReminder: { times: ["25:61"] } } }),
    "types.taskReminder.times[0]",
    '"25:61"',
  );
  assertRejected(
    parsePreferencesPatch({ timezone: "Mars/Olympus" }),
    "timezone",
    "Mars/Olympus",
  );
  assertRejected(parsePreferencesPatch({ enabled: null }), "enabled", "null");
  assertRejected(parsePreferencesPatch({ nickname: "x" }), "", '"nickname"');
  assertRejected(
    parsePreferencesPatch({ types: { taskReminder: { times: [] } } }),
    "types.taskReminder.times",
    "At least one time",
  );
  assertRejected(
    parsePreferencesPatch({ quietHours: { start: "01:00", end: "01:00" } }),
    "quietHours",
    '"01:00"',
  );
});

function patched(current: Preferences, input: unknown): Preferences {
  const patch: PreferencesPatch = valid(parsePreferencesPatch(input));
  return applyPatch(current, patch, DEMO);
}

Deno.test("applyPatch() changes only the fields the patch names", () => {
  const current = savedExample();
  const next = patched(current, {
    types: { taskReminder: { times: ["17:30", "08:00"] } },
  });
  assert.deepStrictEqual(next, {
    ...current,
    types: {
      ...current.types,
      taskReminder: {
        ...current.types.taskReminder,
        times: ["08:00", "17:30"],
      },
    },
  });
});

Deno.test("applyPatch() gives a type switched on by a patch its catalogue times and days", () => {
  const next = patched(savedExample(), {
    types: { weeklyReport: { enabled: true } },
  });
  assert.deepStrictEqual(next.types.weeklyReport, {
    enabled: true,
    times: ["09:00"],
    days: ["mon"],
    channels: { push: false },
  });
});

Deno.test("applyPatch() starts a type missing from saved preferences from its catalogue defaults", () => {
  const stale = defaultPreferences(DEMO);
  // As if saved before weeklyReport joined the catalogue.
  Reflect.deleteProperty(stale.types, "weeklyReport");
  const next = patched(stale, {
    types: { weeklyReport: { times: ["07:00"] } },
  });
  assert.deepStrictEqual(next.types.weeklyReport, {
    enabled: true,
    times: ["07:00"],
    days: ["mon"],
    channels: { push: false },
  });
});

Deno.test("applyPatch() clears quiet hours on null and keeps them when absent", () => {
  const current = savedExample();
  assert.deepStrictEqual(
    patched(current, { quietHours: null }).quietHours,
    null,
  );
  assert.deepStrictEqual(patched(current, { enabled: false }).quietHours, {
    start: "22:00",
    end: "07:00",
  });
  assert.deepStrictEqual(
    patched(current, { quietHours: { start: "23:00", end: "06:00" } })
      .quietHours,
    { start: "23:00", end: "06:00" },
  );
});

Deno.test("applyPatch() switches everything off globally while keeping each type's settings", () => {
  const current = savedExample();
  const next = patched(current, { enabled: false });
  assert.deepStrictEqual(next.enabled, false);
  assert.deepStrictEqual(next.types, current.types);
});

Deno.test("applyPatch() leaves its input untouched and shares no arrays with it", () => {
  const current = savedExample();
  const before = structuredClone(current);
  const next = patched(current, { timezone: "Asia/Tokyo" });
  next.types.morningDigest!.times.push("23:00");
  assert.deepStrictEqual(current, before);
  assert.deepStrictEqual(next.timezone, "Asia/Tokyo");
});

Deno.test("comparePreferences() finds nothing between equal preferences", () => {
  assert.deepStrictEqual(
    comparePreferences(savedExample(), savedExample()),
    [],
  );
});

Deno.test("comparePreferences() reports a changed list of times as one leaf", () => {
  const current = valid(parsePut({
    ...examplePut(),
    types: { taskReminder: { enabled: true, times: ["14:00"] } },
  }));
  const next = patched(current, {
    types: { taskReminder: { times: ["14:00", "17:30"] } },
  });
  assert.deepStrictEqual(comparePreferences(current, next), [
    {
      path: "types.taskReminder.times",
      from: ["14:00"],
      to: ["14:00", "17:30"],
    },
  ]);
});

Deno.test("comparePreferences() lists several changes in a fixed order", () => {
  const current = savedExample();
  const next = patched(current, {
    types: {
      weeklyReport: { enabled: true, days: ["fri"] },
      morningDigest: { enabled: false },
    },
    quietHours: { start: "22:00", end: "06:30" },
    timezone: "Asia/Tokyo",
  });
  assert.deepStrictEqual(comparePreferences(current, next), [
    { path: "timezone", from: "Europe/Paris", to: "Asia/Tokyo" },
    { path: "quietHours.end", from: "07:00", to: "06:30" },
    { path: "types.morningDigest.enabled", from: true, to: false },
    { path: "types.weeklyReport.enabled", from: false, to: true },
    { path: "types.weeklyReport.days", from: ["mon"], to: ["fri"] },
  ]);
});

Deno.test("comparePreferences() reports quiet hours being set or cleared as a whole", () => {
  const current = savedExample();
  const cleared = patched(current, { quietHours: null });
  assert.deepStrictEqual(comparePreferences(current, cleared), [
    { path: "quietHours", from: { start: "22:00", end: "07:00" }, to: null },
  ]);
  assert.deepStrictEqual(comparePreferences(cleared, current), [
    { path: "quietHours", from: null, to: { start: "22:00", end: "07:00" } },
  ]);
});
