import assert from "node:assert/strict";
import { gapsInYear, nextGapFor } from "../../src/domain/time/dst_gap.ts";

Deno.test("gapsInYear() finds each zone's spring-forward gap", () => {
  assert.deepEqual(gapsInYear("Europe/Paris", 2026), [
    { date: "2026-03-29", start: "02:00", end: "03:00" },
  ]);
  assert.deepEqual(gapsInYear("America/New_York", 2026), [
    { date: "2026-03-08", start: "02:00", end: "03:00" },
  ]);
  // Lord Howe moves by 30 minutes; southern-hemisphere gaps fall in October.
  assert.deepEqual(gapsInYear("Australia/Lord_Howe", 2026), [
    { date: "2026-10-04", start: "02:00", end: "02:30" },
  ]);
  assert.deepEqual(gapsInYear("UTC", 2026), []);
  assert.deepEqual(gapsInYear("Africa/Lome", 2026), []);
});

Deno.test("nextGapFor() names the next date a local time does not exist, and where it lands", () => {
  const jan = Date.parse("2026-01-10T12:00:00Z");
  assert.deepEqual(nextGapFor("Europe/Paris", "02:30", jan), {
    date: "2026-03-29",
    shiftedTime: "03:30",
  });
  assert.equal(nextGapFor("Europe/Paris", "03:00", jan), null);
  assert.equal(nextGapFor("Europe/Paris", "01:59", jan), null);
  // After this year's gap, next year's.
  const april = Date.parse("2026-04-01T12:00:00Z");
  assert.deepEqual(nextGapFor("Europe/Paris", "02:00", april), {
    date: "2027-03-28",
    shiftedTime: "03:00",
  });
  assert.equal(nextGapFor("Asia/Tokyo", "02:30", jan), null);
  // On the gap day itself: still ahead before 03:30, next year's after it.
  const beforeShift = Date.parse("2026-03-29T01:00:00Z"); // 03:00 CEST
  assert.equal(
    nextGapFor("Europe/Paris", "02:30", beforeShift)?.date,
    "2026-03-29",
  );
  const afterShift = Date.parse("2026-03-29T01:30:00Z"); // 03:30 CEST
  assert.equal(
    nextGapFor("Europe/Paris", "02:30", afterShift)?.date,
    "2027-03-28",
  );
});
