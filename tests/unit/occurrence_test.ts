import assert from "node:assert/strict";
import {
  inQuietHours,
  occurrenceAt,
  occurrenceKey,
  quietHoursEnd,
} from "../../src/domain/schedules/occurrence.ts";
import { renderTemplate } from "../../src/domain/delivery/template.ts";
import {
  addDays,
  localParts,
  zonedInstant,
} from "../../src/domain/time/zoned_time.ts";

const iso = (t: number) => new Date(t).toISOString();

Deno.test("localParts() reads the wall clock in a zone", () => {
  const t = Date.parse("2026-07-01T07:30:00Z");
  assert.deepEqual(localParts(t, "Europe/Paris"), {
    date: "2026-07-01",
    time: "09:30",
    weekday: "wed",
  });
  assert.deepEqual(localParts(t, "America/New_York").date, "2026-07-01");
  assert.deepEqual(localParts(t, "Pacific/Kiritimati").date, "2026-07-01");
  assert.deepEqual(localParts(t, "Pacific/Pago_Pago").date, "2026-06-30");
});

Deno.test("zonedInstant() maps local times to instants across DST", () => {
  assert.equal(
    iso(zonedInstant("2026-07-01", "09:30", "Europe/Paris")),
    "2026-07-01T07:30:00.000Z",
  );
  assert.equal(
    iso(zonedInstant("2026-01-15", "09:30", "Europe/Paris")),
    "2026-01-15T08:30:00.000Z",
  );
  assert.equal(
    iso(zonedInstant("2026-06-01", "06:00", "Africa/Lome")),
    "2026-06-01T06:00:00.000Z",
  );
});

Deno.test("zonedInstant() moves a time in the spring-forward gap past the gap", () => {
  // Paris jumps 02:00 → 03:00 on 2026-03-29: 02:30 does not exist.
  assert.equal(
    iso(zonedInstant("2026-03-29", "02:30", "Europe/Paris")),
    "2026-03-29T01:30:00.000Z",
  );
  assert.equal(
    localParts(Date.parse("2026-03-29T01:30:00Z"), "Europe/Paris").time,
    "03:30",
  );
});

Deno.test("zonedInstant() takes the first of the two instants in a fall-back overlap", () => {
  // New York repeats 01:00–02:00 on 2026-11-01: 01:30 EDT is 05:30Z.
  assert.equal(
    iso(zonedInstant("2026-11-01", "01:30", "America/New_York")),
    "2026-11-01T05:30:00.000Z",
  );
});

Deno.test("occurrenceAt() names the latest local occurrence at or before now", () => {
  const at = (s: string) =>
    occurrenceAt(Date.parse(s), {
      userId: "ada",
      type: "morningDigest",
      localTime: "09:30",
      timeZone: "Europe/Paris",
    });
  assert.equal(at("2026-07-01T07:30:02Z").localDate, "2026-07-01");
  // A retry two hours later is still the same occurrence.
  assert.equal(at("2026-07-01T09:40:00Z").localDate, "2026-07-01");
  // QStash firing a little early still belongs to today.
  assert.equal(at("2026-07-01T07:29:30Z").localDate, "2026-07-01");
  // Before today's time: yesterday's occurrence.
  assert.equal(at("2026-07-01T05:00:00Z").localDate, "2026-06-30");
  assert.equal(
    occurrenceKey(at("2026-07-01T07:30:02Z")),
    "occ:ada:morningDigest:2026-07-01T09:30",
  );
});

Deno.test("inQuietHours() handles periods within a day and across midnight", () => {
  const night = { start: "22:00", end: "07:00" };
  assert.equal(inQuietHours("23:15", night), true);
  assert.equal(inQuietHours("06:59", night), true);
  assert.equal(inQuietHours("07:00", night), false);
  assert.equal(inQuietHours("21:59", night), false);
  const lunch = { start: "12:00", end: "13:30" };
  assert.equal(inQuietHours("12:00", lunch), true);
  assert.equal(inQuietHours("13:30", lunch), false);
});

Deno.test("quietHoursEnd() ends a period that began in the evening the next morning", () => {
  const night = { start: "22:00", end: "07:00" };
  const evening = quietHoursEnd(
    { localDate: "2026-07-01", localTime: "23:00" },
    night,
    "Europe/Paris",
  );
  assert.equal(iso(evening), "2026-07-02T05:00:00.000Z");
  const morning = quietHoursEnd(
    { localDate: "2026-07-01", localTime: "06:30" },
    night,
    "Europe/Paris",
  );
  assert.equal(iso(morning), "2026-07-01T05:00:00.000Z");
});

Deno.test("addDays() crosses months and years", () => {
  assert.equal(addDays("2026-12-31", 1), "2027-01-01");
  assert.equal(addDays("2026-03-01", -1), "2026-02-28");
});

Deno.test("renderTemplate() fills placeholders and blanks unknown ones", () => {
  assert.equal(
    renderTemplate("Hi {{ name }}, {{localDate}}{{nope}}", {
      name: "Ada",
      localDate: "2026-07-01",
    }),
    "Hi Ada, 2026-07-01",
  );
});

Deno.test("occurrenceAt() gives a fall-back hour's two firings one key", () => {
  // New York repeats 01:00–02:00 on 2026-11-01: 01:30 happens at 05:30Z and
  // again at 06:30Z. Both deliveries name the same occurrence.
  const first = occurrenceAt(Date.parse("2026-11-01T05:30:00Z"), {
    userId: "ada",
    type: "taskReminder",
    localTime: "01:30",
    timeZone: "America/New_York",
  });
  const second = occurrenceAt(Date.parse("2026-11-01T06:30:00Z"), {
    userId: "ada",
    type: "taskReminder",
    localTime: "01:30",
    timeZone: "America/New_York",
  });
  assert.equal(occurrenceKey(first), occurrenceKey(second));
  assert.equal(first.localDate, "2026-11-01");
});
