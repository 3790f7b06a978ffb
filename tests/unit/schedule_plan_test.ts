import assert from "node:assert/strict";
import { effectivePreferences } from "../../src/domain/preferences/preference_overrides.ts";
import {
  applyPatch,
  defaultPreferences,
  parsePreferencesPatch,
  parsePreferencesPut,
  type Preferences,
  putOverrides,
} from "../../src/domain/preferences/preferences.ts";
import {
  type DesiredSchedule,
  isGapTwinId,
  planUserSchedules,
  scheduleIdFor,
  scheduleOwner,
  type SchedulePlacement,
} from "../../src/domain/schedules/schedule_plan.ts";
import { DEMO } from "../support/demo_catalogue.ts";

const DESTINATION = "https://herald.example/qstash/user-schedule";

function preferences(input: unknown): Preferences {
  const result = parsePreferencesPut(input);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return effectivePreferences(putOverrides(result.value, DEMO), DEMO);
}

function patched(current: Preferences, input: unknown): Preferences {
  const result = parsePreferencesPatch(input);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return applyPatch(current, result.value, DEMO);
}

/** Only the morning digest, on the given days, at the given times, in Paris. */
function digestOnly(times: string[], days?: string[]): Preferences {
  return preferences({
    enabled: true,
    timezone: "Europe/Paris",
    types: {
      morningDigest: { enabled: true, times, ...(days ? { days } : {}) },
    },
  });
}

function plan(userId: string, prefs: Preferences): DesiredSchedule[] {
  return planUserSchedules(userId, prefs, { destination: DESTINATION });
}

function cronOf(schedules: DesiredSchedule[]): string[] {
  return schedules.map((schedule) => schedule.cron);
}

Deno.test("planUserSchedules() makes one schedule per enabled type and time", () => {
  const prefs = preferences({
    enabled: true,
    timezone: "Europe/Paris",
    types: {
      morningDigest: {
        enabled: true,
        times: ["09:30"],
        days: ["mon", "tue", "wed", "thu", "fri"],
      },
      taskReminder: { enabled: true, times: ["14:00", "17:30"] },
    },
  });
  const schedules = plan("alice", prefs);
  assert.deepStrictEqual(
    schedules.map(({ type, localTime, cron }) => ({ type, localTime, cron })),
    [
      {
        type: "morningDigest",
        localTime: "09:30",
        cron: "CRON_TZ=Europe/Paris 30 9 * * 1,2,3,4,5",
      },
      {
        type: "taskReminder",
        localTime: "14:00",
        // No days given: the type's default days, Monday to Friday.
        cron: "CRON_TZ=Europe/Paris 0 14 * * 1,2,3,4,5",
      },
      {
        type: "taskReminder",
        localTime: "17:30",
        cron: "CRON_TZ=Europe/Paris 30 17 * * 1,2,3,4,5",
      },
    ],
  );
  for (const schedule of schedules) {
    assert.equal(schedule.userId, "alice");
    assert.equal(schedule.destination, DESTINATION);
    assert.equal(
      schedule.id,
      scheduleIdFor("alice", schedule.type, schedule.localTime),
    );
  }
});

Deno.test("planUserSchedules() skips types that are switched off", () => {
  const prefs = patched(defaultPreferences(DEMO), {
    types: {
      morningDigest: { enabled: false },
      eveningSummary: { enabled: true },
    },
  });
  const types = plan("alice", prefs).map((schedule) => schedule.type);
  assert.ok(!types.includes("morningDigest"));
  assert.deepStrictEqual(
    new Set(types),
    new Set(["taskReminder", "eveningSummary", "weeklyReport"]),
  );
});

Deno.test("planUserSchedules() plans nothing when notifications are switched off globally", () => {
  assert.ok(plan("alice", defaultPreferences(DEMO)).length > 0);
  assert.deepStrictEqual(
    plan("alice", patched(defaultPreferences(DEMO), { enabled: false })),
    [],
  );
});

Deno.test("planUserSchedules() plans nothing for a PUT that lists no types", () => {
  assert.deepStrictEqual(
    plan("alice", preferences({ enabled: true, timezone: "UTC", types: {} })),
    [],
  );
});

Deno.test("planUserSchedules() turns days into the cron day-of-week field, Sunday as 0", () => {
  const cases: [string[], string][] = [
    [["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "*"],
    [["mon", "tue", "wed", "thu", "fri"], "1,2,3,4,5"],
    [["sat", "sun"], "0,6"],
    [["sun", "mon"], "0,1"],
    [["mon"], "1"],
    [["sun"], "0"],
    [["wed", "sat"], "3,6"],
  ];
  for (const [days, dow] of cases) {
    const [schedule] = plan("alice", digestOnly(["08:00"], days));
    assert.equal(
      schedule?.cron,
      `CRON_TZ=Europe/Paris 0 8 * * ${dow}`,
      `days ${days.join(",")}`,
    );
  }
});

Deno.test("planUserSchedules() writes minutes and hours without leading zeros", () => {
  assert.deepStrictEqual(
    cronOf(plan("alice", digestOnly(["00:00", "09:05", "23:59"]))),
    [
      "CRON_TZ=Europe/Paris 0 0 * * *",
      "CRON_TZ=Europe/Paris 5 9 * * *",
      "CRON_TZ=Europe/Paris 59 23 * * *",
    ],
  );
});

Deno.test("planUserSchedules() puts the user's time zone in every cron expression", () => {
  const tokyo = patched(defaultPreferences(DEMO), { timezone: "Asia/Tokyo" });
  const crons = cronOf(plan("alice", tokyo));
  assert.ok(crons.length > 0);
  for (const cron of crons) {
    assert.match(cron, /^CRON_TZ=Asia\/Tokyo \d+ \d+ \* \* [\d,*]+$/);
  }
});

Deno.test("planUserSchedules() sends a body naming the user, type and local time, in a fixed key order", () => {
  const [schedule] = plan("alice@example.com", digestOnly(["09:30"]));
  assert.equal(
    schedule?.body,
    '{"kind":"user-schedule","userId":"alice@example.com","type":"morningDigest","localTime":"09:30"}',
  );
});

Deno.test("planUserSchedules() keeps ids and bodies when only the time zone changes", () => {
  const paris = plan("alice", defaultPreferences(DEMO));
  const tokyo = plan(
    "alice",
    patched(defaultPreferences(DEMO), { timezone: "Asia/Tokyo" }),
  );
  assert.deepStrictEqual(
    tokyo.map((s) => [s.id, s.body]),
    paris.map((s) => [s.id, s.body]),
  );
  assert.notDeepStrictEqual(cronOf(tokyo), cronOf(paris));
});

Deno.test("planUserSchedules() plans the same schedules whatever else in the preferences changes", () => {
  const before = defaultPreferences(DEMO);
  const after = patched(before, {
    quietHours: { start: "22:00", end: "07:00" },
  });
  assert.deepStrictEqual(plan("alice", after), plan("alice", before));
});

Deno.test("planUserSchedules() returns schedules sorted by id", () => {
  const prefs = patched(defaultPreferences(DEMO), {
    types: {
      eveningSummary: { enabled: true, times: ["21:00", "18:00"] },
      morningDigest: { times: ["10:00", "06:45"] },
    },
  });
  const ids = plan("zoë", prefs).map((schedule) => schedule.id);
  assert.deepStrictEqual(ids, [...ids].sort());
  assert.equal(new Set(ids).size, ids.length);
});

Deno.test("planUserSchedules() fits the SchedulePlacement shape a shared-slot placement would also have", () => {
  const placement: SchedulePlacement = planUserSchedules;
  assert.deepStrictEqual(
    placement("alice", defaultPreferences(DEMO), { destination: DESTINATION }),
    plan("alice", defaultPreferences(DEMO)),
  );
});

const USER_IDS = [
  "alice",
  "alice@example.com",
  "Zoë Ångström",
  "山田太郎",
  "🦊 fox",
  "a.b/c+d=e?f&g",
  "herald.u.x.morningDigest.0930",
  "\uFEFFleading byte order mark",
  " ",
  "x".repeat(200),
];

Deno.test("scheduleIdFor() uses only QStash's schedule id characters, whatever the user id", () => {
  for (const userId of USER_IDS) {
    for (const { id: type } of DEMO.types) {
      const id = scheduleIdFor(userId, type, "07:05");
      assert.match(id, /^herald\.u\.[A-Za-z0-9_-]+\.[A-Za-z0-9]+\.0705$/, id);
    }
  }
});

Deno.test("scheduleOwner() recovers the user, type and time from every id scheduleIdFor() makes", () => {
  for (const userId of USER_IDS) {
    for (const { id: type } of DEMO.types) {
      for (const localTime of ["00:00", "09:30", "23:59"]) {
        assert.deepStrictEqual(
          scheduleOwner(scheduleIdFor(userId, type, localTime)),
          {
            userId,
            type,
            localTime,
          },
        );
      }
    }
  }
});

Deno.test("scheduleIdFor() gives different users different ids", () => {
  const ids = new Set(
    USER_IDS.map((userId) => scheduleIdFor(userId, "morningDigest", "09:30")),
  );
  assert.equal(ids.size, USER_IDS.length);
});

Deno.test("scheduleOwner() returns null for ids Herald does not own", () => {
  const valid = scheduleIdFor("alice", "morningDigest", "09:30");
  assert.equal(valid, "herald.u.YWxpY2U.morningDigest.0930");
  for (
    const id of [
      "scd_01HXYZ",
      "",
      "herald.system.cleanup",
      "herald.u.YWxpY2U.morningDigest",
      "herald.u.YWxpY2U.morningDigest.930",
      "herald.u.YWxpY2U.morningDigest.2500",
      "herald.u.YWxpY2U.morningDigest.0960",
      "herald.u..morningDigest.0930",
      "herald.u.YWxpY2U=.morningDigest.0930",
      "herald.u.YWxpY2U.morning-digest.0930",
      "herald.u.YWxpY2U.morningDigest.0930.extra",
      "other.u.YWxpY2U.morningDigest.0930",
      // "YR" decodes to "a" like "YQ" does, but is not how "a" is encoded.
      "herald.u.YR.morningDigest.0930",
      // 0xFF is not UTF-8.
      "herald.u._w.morningDigest.0930",
      // One base64 character cannot encode a whole byte.
      "herald.u.YWxpY.morningDigest.0930",
    ]
  ) {
    assert.equal(scheduleOwner(id), null, id);
  }
});

Deno.test("scheduleIdFor() refuses user ids that could not round-trip", () => {
  assert.throws(() => scheduleIdFor("", "morningDigest", "09:30"), RangeError);
  assert.throws(
    () => scheduleIdFor("half \uD800 pair", "morningDigest", "09:30"),
    RangeError,
  );
  assert.throws(
    () => scheduleIdFor("alice", "morningDigest", "9:30"),
    RangeError,
  );
});

Deno.test("planUserSchedules() adds a one-date twin for a time inside the next DST gap", () => {
  const prefs = preferences({
    enabled: true,
    timezone: "Europe/Paris",
    types: {
      taskReminder: {
        enabled: true,
        times: ["02:30", "09:00"],
        days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
      },
    },
  });
  const now = Date.parse("2026-11-21T12:00:00Z");
  const planned = planUserSchedules("ada", prefs, {
    destination: "https://h/cb",
    now,
  });
  const ids = planned.map((s) => s.id);
  const base = scheduleIdFor("ada", "taskReminder", "02:30");
  assert.deepEqual(ids, [
    base,
    `${base}.dst`,
    scheduleIdFor("ada", "taskReminder", "09:00"),
  ]);
  const twin = planned[1]!;
  // Paris skips 02:00–03:00 on 2027-03-28: the twin fires at 03:30 that day.
  assert.equal(twin.cron, "CRON_TZ=Europe/Paris 30 3 28 3 *");
  assert.equal(twin.body, planned[0]!.body, "same occurrence, same body");
  assert.deepEqual(scheduleOwner(twin.id), {
    userId: "ada",
    type: "taskReminder",
    localTime: "02:30",
  });
});

Deno.test("isGapTwinId() tells a DST gap twin from its slot and from ids Herald does not own", () => {
  const base = scheduleIdFor("ada", "taskReminder", "02:30");
  assert.equal(isGapTwinId(`${base}.dst`), true);
  assert.equal(isGapTwinId(base), false);
  assert.equal(isGapTwinId("someone-else.dst"), false);
  assert.equal(isGapTwinId("herald.j.cleanup.dst"), false);
});

Deno.test("planUserSchedules() adds no twin when the gap date is not one of the user's days", () => {
  const prefs = preferences({
    enabled: true,
    timezone: "Europe/Paris",
    types: {
      taskReminder: {
        enabled: true,
        times: ["02:30"],
        days: ["mon", "tue", "wed", "thu", "fri"],
      },
    },
  });
  const planned = planUserSchedules("ada", prefs, {
    destination: "https://h/cb",
    now: Date.parse("2026-11-21T12:00:00Z"),
  });
  assert.equal(planned.length, 1);
});
