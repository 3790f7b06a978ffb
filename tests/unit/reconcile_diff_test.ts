// node:assert ships with Deno; @std/assert would have to come from JSR, which
// this project's machines cannot reach.
import assert from "node:assert/strict";
import {
  applyPatch,
  defaultPreferences,
  parsePreferencesPatch,
  type Preferences,
} from "../../src/domain/preferences/preferences.ts";
import {
  diffSchedules,
  type HeldSchedule,
  isNoop,
} from "../../src/domain/schedules/reconcile_diff.ts";
import {
  type DesiredSchedule,
  planUserSchedules,
} from "../../src/domain/schedules/schedule_plan.ts";
import { DEMO } from "../support/demo_catalogue.ts";

const DESTINATION = "https://herald.example/qstash/user-schedule";

function patched(current: Preferences, input: unknown): Preferences {
  const result = parsePreferencesPatch(input);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return applyPatch(current, result.value, DEMO);
}

function plan(prefs: Preferences, userId = "alice"): DesiredSchedule[] {
  return planUserSchedules(userId, prefs, { destination: DESTINATION });
}

/** What QStash would list after these schedules were created. */
function held(schedules: readonly DesiredSchedule[]): HeldSchedule[] {
  return schedules.map(({ id, cron, destination, body }) => ({
    id,
    cron,
    destination,
    body,
  }));
}

function ids(schedules: readonly { id: string }[]): string[] {
  return schedules.map((schedule) => schedule.id);
}

/** Default preferences with the task reminder at 14:00 and 17:30. */
function twoReminders(): Preferences {
  return patched(defaultPreferences(DEMO), {
    types: { taskReminder: { times: ["14:00", "17:30"] } },
  });
}

Deno.test("diffSchedules() creates every desired schedule when QStash holds none", () => {
  const desired = plan(twoReminders());
  const diff = diffSchedules(desired, []);
  assert.deepStrictEqual(diff, {
    create: desired,
    update: [],
    delete: [],
    unchanged: [],
  });
  assert.ok(!isNoop(diff));
});

Deno.test("diffSchedules() is a no-op when QStash already holds exactly what is desired", () => {
  const desired = plan(twoReminders());
  const diff = diffSchedules(desired, held(desired));
  assert.deepStrictEqual(diff, {
    create: [],
    update: [],
    delete: [],
    unchanged: ids(desired),
  });
  assert.ok(isNoop(diff));
});

Deno.test("diffSchedules() deletes held schedules that are no longer desired", () => {
  const before = plan(twoReminders());
  const diff = diffSchedules([], held(before));
  assert.deepStrictEqual(diff.delete, held(before));
  assert.deepStrictEqual([diff.create, diff.update, diff.unchanged], [
    [],
    [],
    [],
  ]);
});

Deno.test("diffSchedules() updates a schedule whose cron, destination or body differs", () => {
  const desired = plan(twoReminders()).slice(0, 1);
  const [original] = held(desired);
  assert.ok(original);
  for (
    const change of [
      { cron: "CRON_TZ=UTC 0 7 * * *" },
      { destination: "https://old.example/hook" },
      { body: "{}" },
    ]
  ) {
    assert.deepStrictEqual(
      diffSchedules(desired, [{ ...original, ...change }]),
      {
        create: [],
        update: desired,
        delete: [],
        unchanged: [],
      },
    );
  }
});

Deno.test("diffSchedules() changes exactly one schedule when one time moves", () => {
  const before = plan(twoReminders());
  const after = plan(
    patched(twoReminders(), {
      types: { taskReminder: { times: ["14:00", "18:15"] } },
    }),
  );
  const diff = diffSchedules(after, held(before));
  assert.deepStrictEqual(ids(diff.delete), [
    "herald.u.YWxpY2U.taskReminder.1730",
  ]);
  assert.deepStrictEqual(ids(diff.create), [
    "herald.u.YWxpY2U.taskReminder.1815",
  ]);
  assert.deepStrictEqual(diff.update, []);
  assert.equal(diff.unchanged.length, before.length - 1);
});

Deno.test("diffSchedules() updates every schedule, and only updates, when the time zone changes", () => {
  const before = plan(twoReminders());
  const after = plan(patched(twoReminders(), { timezone: "America/New_York" }));
  const diff = diffSchedules(after, held(before));
  assert.deepStrictEqual(ids(diff.update), ids(before));
  assert.deepStrictEqual([diff.create, diff.delete, diff.unchanged], [
    [],
    [],
    [],
  ]);
  for (const schedule of diff.update) {
    assert.match(schedule.cron, /^CRON_TZ=America\/New_York /);
  }
});

Deno.test("diffSchedules() updates only the type whose days change", () => {
  const before = plan(twoReminders());
  const after = plan(
    patched(twoReminders(), { types: { weeklyReport: { days: ["fri"] } } }),
  );
  const diff = diffSchedules(after, held(before));
  assert.deepStrictEqual(ids(diff.update), [
    "herald.u.YWxpY2U.weeklyReport.0900",
  ]);
  assert.equal(diff.update[0]?.cron, "CRON_TZ=UTC 0 9 * * 5");
  assert.deepStrictEqual([diff.create, diff.delete], [[], []]);
});

Deno.test("diffSchedules() finds nothing to do after a change that does not affect schedules", () => {
  const before = plan(twoReminders());
  const after = plan(
    patched(twoReminders(), { quietHours: { start: "22:00", end: "07:00" } }),
  );
  assert.ok(isNoop(diffSchedules(after, held(before))));
});

Deno.test("diffSchedules() deletes everything when notifications are switched off globally", () => {
  const before = plan(twoReminders());
  const diff = diffSchedules(
    plan(patched(twoReminders(), { enabled: false })),
    held(before),
  );
  assert.deepStrictEqual(ids(diff.delete), ids(before));
  assert.deepStrictEqual([diff.create, diff.update, diff.unchanged], [
    [],
    [],
    [],
  ]);
});

Deno.test("diffSchedules() sorts every list by id whatever order it is given", () => {
  const before = plan(twoReminders());
  const after = plan(
    patched(twoReminders(), {
      timezone: "Asia/Tokyo",
      types: { eveningSummary: { enabled: true, times: ["20:00", "19:00"] } },
    }),
  );
  const stale: HeldSchedule = {
    id: "herald.u.YWxpY2U.eveningSummary.0500",
    cron: "x",
    destination: "y",
    body: "z",
  };
  const diff = diffSchedules(
    [...after].reverse(),
    [...held(before), stale].reverse(),
  );
  for (
    const list of [
      ids(diff.create),
      ids(diff.update),
      ids(diff.delete),
      diff.unchanged,
    ]
  ) {
    assert.deepStrictEqual(list, [...list].sort());
  }
  assert.equal(diff.create.length, 2);
  assert.deepStrictEqual(ids(diff.delete), [stale.id]);
});

Deno.test("diffSchedules() refuses a desired set that names one id twice", () => {
  const desired = plan(twoReminders());
  assert.throws(() => diffSchedules([...desired, ...desired], []), RangeError);
});

Deno.test("isNoop() is false whenever anything is to be created, updated or deleted", () => {
  const [schedule] = plan(twoReminders());
  assert.ok(schedule);
  const none = { create: [], update: [], delete: [], unchanged: [] };
  assert.ok(isNoop(none));
  assert.ok(!isNoop({ ...none, create: [schedule] }));
  assert.ok(!isNoop({ ...none, update: [schedule] }));
  assert.ok(!isNoop({ ...none, delete: held([schedule]) }));
  assert.ok(isNoop({ ...none, unchanged: [schedule.id] }));
});
