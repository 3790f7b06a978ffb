import assert from "node:assert/strict";
import { nextRunAt, splitCron } from "../../src/domain/jobs/next_run.ts";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) =>
  ms === null ? null : new Date(ms).toISOString();

Deno.test("splitCron() separates the CRON_TZ zone from the fields, UTC without one", () => {
  assert.deepEqual(splitCron("CRON_TZ=Europe/Paris 30 9 * * 1-5"), {
    zone: "Europe/Paris",
    pattern: "30 9 * * 1-5",
  });
  assert.deepEqual(splitCron("*/5 * * * *"), {
    zone: "UTC",
    pattern: "*/5 * * * *",
  });
});

Deno.test("nextRunAt() computes 09:30 Paris in summer and in winter time", () => {
  const cron = "CRON_TZ=Europe/Paris 30 9 * * *";
  assert.equal(
    iso(nextRunAt(cron, at("2026-07-01T06:00:00Z"))),
    "2026-07-01T07:30:00.000Z",
  );
  assert.equal(
    iso(nextRunAt(cron, at("2026-12-01T09:00:00Z"))),
    "2026-12-02T08:30:00.000Z",
  );
});

Deno.test("nextRunAt() is strictly after the given instant", () => {
  const cron = "CRON_TZ=UTC 0 6 * * *";
  assert.equal(
    iso(nextRunAt(cron, at("2026-03-10T06:00:00Z"))),
    "2026-03-11T06:00:00.000Z",
  );
});

Deno.test("nextRunAt() follows weekday and hour ranges in the zone (06:00 Lomé, 9–17 weekdays)", () => {
  assert.equal(
    iso(nextRunAt("CRON_TZ=Africa/Lome 0 6 * * *", at("2026-05-01T12:00:00Z"))),
    "2026-05-02T06:00:00.000Z",
  );
  // Friday 18:00 Paris → Monday 09:00 Paris.
  assert.equal(
    iso(
      nextRunAt(
        "CRON_TZ=Europe/Paris 0 9-17 * * 1-5",
        at("2026-05-08T16:00:00Z"),
      ),
    ),
    "2026-05-11T07:00:00.000Z",
  );
});

Deno.test("nextRunAt() returns null for an expression it cannot read", () => {
  assert.equal(nextRunAt("not a cron", Date.now()), null);
  assert.equal(nextRunAt("CRON_TZ=Nowhere/Land 0 6 * * *", Date.now()), null);
});
