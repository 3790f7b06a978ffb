import assert from "node:assert/strict";
import {
  decodeOverrides,
  effectivePreferences,
  encodeOverrides,
  encodePatch,
} from "../../src/domain/preferences/preference_overrides.ts";
import { defaultPreferences } from "../../src/domain/preferences/preferences.ts";
import { DEMO } from "../support/demo_catalogue.ts";

Deno.test("effectivePreferences() puts the user's choices over the catalogue defaults, field by field", () => {
  const prefs = effectivePreferences({
    timezone: "Europe/Paris",
    types: { taskReminder: { times: ["09:00"] } },
  }, DEMO);
  const defaults = defaultPreferences(DEMO);
  assert.equal(prefs.timezone, "Europe/Paris");
  assert.equal(prefs.enabled, defaults.enabled);
  assert.deepEqual(prefs.types.taskReminder, {
    ...defaults.types.taskReminder,
    times: ["09:00"],
  });
  assert.deepEqual(prefs.types.morningDigest, defaults.types.morningDigest);
  assert.deepEqual(effectivePreferences({}, DEMO), defaults);
});

Deno.test("encodeOverrides() and encodePatch() write keys in one order, the optional window last", () => {
  const overrides = encodeOverrides({
    quietHours: { end: "07:00", start: "22:00" },
    types: { taskReminder: { days: ["mon"], times: ["09:00"], enabled: true } },
    timezone: "UTC",
    enabled: true,
  });
  assert.equal(
    overrides,
    '{"enabled":true,"timezone":"UTC","types":{"taskReminder":{"enabled":true,"times":["09:00"],"days":["mon"]}},"quietHours":{"start":"22:00","end":"07:00"}}',
  );
  // A cleared window is a null, which json_patch reads as "delete".
  assert.equal(encodePatch({ quietHours: null }), '{"quietHours":null}');
  assert.equal(encodePatch({}), "{}");
});

Deno.test("decodeOverrides() reads back what encodeOverrides() wrote", () => {
  const o = {
    enabled: false,
    timezone: "Asia/Tokyo",
    types: {
      weeklyReport: { enabled: true, times: ["08:15"], days: ["sun" as const] },
    },
    quietHours: { start: "23:00", end: "06:00" },
  };
  assert.deepEqual(decodeOverrides(encodeOverrides(o)), o);
});

Deno.test("decodeOverrides() refuses a row that is not what Herald writes, naming where", () => {
  for (
    const [row, where] of [
      ["[]", '""'],
      ['{"enabled":"yes"}', '"enabled"'],
      ['{"timezone":"Mars/Olympus"}', '"timezone"'],
      ['{"types":{"taskReminder":{"times":[]}}}', '"types.taskReminder.times"'],
      [
        '{"types":{"taskReminder":{"times":["25:00"]}}}',
        '"types.taskReminder.times"',
      ],
      [
        '{"types":{"taskReminder":{"days":["someday"]}}}',
        '"types.taskReminder.days"',
      ],
      ['{"quietHours":{"start":"22:00"}}', '"quietHours"'],
    ] as const
  ) {
    assert.throws(() => decodeOverrides(row), new RegExp(where), row);
  }
});

Deno.test("choices about a type the catalogue no longer has are kept in the row but ignored", () => {
  const overrides = decodeOverrides(
    '{"types":{"retiredType":{"enabled":true},"taskReminder":{"enabled":false}}}',
  );
  assert.deepEqual(overrides.types?.retiredType, { enabled: true });
  const prefs = effectivePreferences(overrides, DEMO);
  assert.deepEqual(Object.keys(prefs.types), DEMO.types.map((t) => t.id));
  assert.equal(prefs.types.taskReminder?.enabled, false);
});
