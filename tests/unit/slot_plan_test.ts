import assert from "node:assert/strict";
import { effectivePreferences } from "../../src/domain/preferences/preference_overrides.ts";
import { DEMO } from "../support/demo_catalogue.ts";
import {
  membershipId,
  membershipOwner,
  nextOccurrence,
  occursAt,
  planMemberships,
  slotAt,
  slotFiring,
  slotOfScheduleId,
  slotSchedule,
  slotScheduleId,
} from "../../src/domain/schedules/slot_plan.ts";
import { WEEKDAYS } from "../../src/domain/time/weekday.ts";

const at = (iso: string) => Date.parse(iso);
const EVERY_DAY = WEEKDAYS;

Deno.test("slotAt() names an instant by its UTC hour and minute", () => {
  assert.equal(slotAt(at("2026-12-01T07:05:59Z")), "0705");
  assert.equal(slotAt(at("2026-12-01T23:59:00Z")), "2359");
});

Deno.test("a slot's schedule fires every day at its UTC minute, under an id that round-trips", () => {
  const s = slotSchedule("0730", "https://h/cb");
  assert.equal(s.id, "herald.s.0730");
  assert.equal(s.cron, "CRON_TZ=UTC 30 7 * * *");
  assert.deepEqual(JSON.parse(s.body), { kind: "slot", slot: "0730" });
  assert.equal(slotOfScheduleId(slotScheduleId("2359")), "2359");
  assert.equal(slotOfScheduleId("herald.s.2460"), null);
  assert.equal(slotOfScheduleId("herald.u.YWRh.taskReminder.0730"), null);
});

Deno.test("slotFiring() names the minute a slot fired from when its message was made", () => {
  // Made a few seconds after the minute: that minute.
  assert.equal(
    slotFiring("0730", at("2026-12-01T07:30:04Z")),
    at("2026-12-01T07:30:00Z"),
  );
  // Made just after midnight for the 23:59 slot: the day before.
  assert.equal(
    slotFiring("2359", at("2026-12-02T00:00:10Z")),
    at("2026-12-01T23:59:00Z"),
  );
});

Deno.test("occursAt() says which local date an instant is an occurrence of, on the user's days", () => {
  const paris = "Europe/Paris";
  assert.deepEqual(
    occursAt(at("2026-12-01T08:30:00Z"), "09:30", paris, EVERY_DAY),
    { localDate: "2026-12-01", weekday: "tue" },
  );
  assert.equal(
    occursAt(at("2026-12-01T08:31:00Z"), "09:30", paris, EVERY_DAY),
    null,
  );
  // 2026-12-01 is a Tuesday.
  assert.equal(
    occursAt(at("2026-12-01T08:30:00Z"), "09:30", paris, ["mon"]),
    null,
  );
  // Summer: Paris is UTC+2.
  assert.deepEqual(
    occursAt(at("2026-07-01T07:30:00Z"), "09:30", paris, EVERY_DAY),
    { localDate: "2026-07-01", weekday: "wed" },
  );
});

Deno.test("a time in the spring-forward gap occurs once, where the gap moves it; a repeated time once, the first time", () => {
  const paris = "Europe/Paris";
  // 2027-03-28: 02:00–03:00 does not exist; 02:30 is read as 03:30 CEST.
  assert.deepEqual(
    occursAt(at("2027-03-28T01:30:00Z"), "02:30", paris, EVERY_DAY),
    { localDate: "2027-03-28", weekday: "sun" },
  );
  assert.equal(
    occursAt(at("2027-03-28T00:30:00Z"), "02:30", paris, EVERY_DAY),
    null,
  );
  // 2026-10-25: 02:00–03:00 happens twice; only the first 02:30 counts.
  assert.deepEqual(
    occursAt(at("2026-10-25T00:30:00Z"), "02:30", paris, EVERY_DAY),
    { localDate: "2026-10-25", weekday: "sun" },
  );
  assert.equal(
    occursAt(at("2026-10-25T01:30:00Z"), "02:30", paris, EVERY_DAY),
    null,
  );
});

Deno.test("nextOccurrence() crosses a DST change and skips days the user does not want", () => {
  const paris = "Europe/Paris";
  // Saturday evening before the spring-forward: Sunday's 09:00 is CEST.
  assert.equal(
    nextOccurrence(at("2027-03-27T20:00:00Z"), "09:00", paris, EVERY_DAY),
    at("2027-03-28T07:00:00Z"),
  );
  assert.equal(
    nextOccurrence(at("2026-12-01T12:00:00Z"), "09:00", paris, ["mon"]),
    at("2026-12-07T08:00:00Z"),
  );
  assert.equal(
    nextOccurrence(at("2026-12-01T12:00:00Z"), "09:00", paris, []),
    null,
  );
});

Deno.test("planMemberships() puts each enabled type and time in the slot of its next occurrence", () => {
  const prefs = effectivePreferences({
    timezone: "Asia/Kolkata",
    types: {
      morningDigest: { enabled: true, times: ["08:00", "20:15"] },
      taskReminder: { enabled: false },
      weeklyReport: { enabled: false },
    },
  }, DEMO);
  const planned = planMemberships("ada", prefs, at("2026-12-01T00:00:00Z"));
  // Kolkata is UTC+5:30 all year.
  assert.deepEqual(planned.map((m) => [m.type, m.localTime, m.slot]), [
    ["morningDigest", "08:00", "0230"],
    ["morningDigest", "20:15", "1445"],
  ]);
  assert.deepEqual(planMemberships("ada", { ...prefs, enabled: false }, 0), []);
});

Deno.test("a member moves slot when its zone changes offset, and only then", () => {
  const prefs = effectivePreferences({
    timezone: "Europe/Paris",
    types: {
      morningDigest: { enabled: true, times: ["09:00"] },
      taskReminder: { enabled: false },
      weeklyReport: { enabled: false },
    },
  }, DEMO);
  const slot = (iso: string) =>
    planMemberships("ada", prefs, at(iso)).map((m) => m.slot);
  assert.deepEqual(slot("2027-03-26T12:00:00Z"), ["0800"]);
  assert.deepEqual(slot("2027-03-27T12:00:00Z"), ["0700"]);
  assert.deepEqual(slot("2027-03-28T12:00:00Z"), ["0700"]);
});

Deno.test("membershipId() names a member like a schedule, and membershipOwner() reads it back", () => {
  const id = membershipId({
    userId: "ada@example.com",
    type: "taskReminder",
    localTime: "07:30",
  });
  assert.match(id, /^herald\.m\.[A-Za-z0-9_-]+\.taskReminder\.0730$/);
  assert.deepEqual(membershipOwner(id), {
    userId: "ada@example.com",
    type: "taskReminder",
    localTime: "07:30",
  });
  assert.equal(membershipOwner("herald.u.x.taskReminder.0730"), null);
});
