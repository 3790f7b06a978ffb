import assert from "node:assert/strict";
import {
  checkCronExpression,
  intervalToCron,
  triggerCron,
} from "../../src/domain/jobs/job_trigger.ts";

const EXACT: [string, string][] = [
  ["1m", "* * * * *"],
  ["5m", "*/5 * * * *"],
  ["15m", "*/15 * * * *"],
  ["30m", "*/30 * * * *"],
  ["60m", "0 * * * *"],
  ["120s", "*/2 * * * *"],
  ["120m", "0 */2 * * *"],
  ["1h", "0 * * * *"],
  ["6h", "0 */6 * * *"],
  ["12h", "0 */12 * * *"],
  ["24h", "0 0 * * *"],
  ["1d", "0 0 * * *"],
  ["7d", "0 0 * * 0"],
  ["1w", "0 0 * * 0"],
];

for (const [every, cron] of EXACT) {
  Deno.test(`intervalToCron() turns "${every}" into "${cron}"`, () => {
    assert.deepEqual(intervalToCron(every), { ok: true, cron });
  });
}

const REFUSED: [string, RegExp][] = [
  ["7m", /cannot be expressed exactly/],
  ["45m", /cannot be expressed exactly/],
  ["90m", /cannot be expressed exactly/],
  ["5h", /cannot be expressed exactly/],
  ["48h", /cannot be expressed exactly/],
  ["2d", /cannot be expressed exactly/],
  ["2w", /cannot be expressed exactly/],
  ["30s", /one-minute resolution/],
  ["90s", /one-minute resolution/],
  ["0m", /not a positive interval/],
  ["5", /not an interval/],
  ["5 minutes", /not an interval/],
  ["-5m", /not an interval/],
];

for (const [every, message] of REFUSED) {
  Deno.test(`intervalToCron() refuses "${every}" on the "every" field`, () => {
    const result = intervalToCron(every);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.field, "every");
    assert.match(result.message, message);
    assert.ok(result.message.includes(`"${every}"`), "quotes the value");
  });
}

Deno.test("checkCronExpression() prefixes the zone the way QStash reads it", () => {
  assert.deepEqual(checkCronExpression("0 6 * * *", "Africa/Lome"), {
    ok: true,
    cron: "CRON_TZ=Africa/Lome 0 6 * * *",
  });
  assert.deepEqual(checkCronExpression(" 0  9-17 * * 1-5 ", "Europe/Paris"), {
    ok: true,
    cron: "CRON_TZ=Europe/Paris 0 9-17 * * 1-5",
  });
});

Deno.test("checkCronExpression() refuses what QStash would not run", () => {
  for (
    const expression of [
      "0 0 6 * * *",
      "0 6 * *",
      "0 6 L * *",
      "0 6 * * 1#2",
      "CRON_TZ=UTC 0 6 * * *",
      "61 6 * * *",
      "0 25 * * *",
    ]
  ) {
    const result = checkCronExpression(expression, "UTC");
    assert.equal(result.ok, false, expression);
    if (!result.ok) assert.equal(result.field, "cron");
  }
});

Deno.test("triggerCron() reads intervals in UTC and crons in their zone", () => {
  assert.deepEqual(triggerCron({ type: "interval", every: "5m" }), {
    ok: true,
    cron: "*/5 * * * *",
  });
  assert.deepEqual(
    triggerCron({ type: "cron", cron: "0 0 * * *", timezone: "UTC" }),
    { ok: true, cron: "CRON_TZ=UTC 0 0 * * *" },
  );
});
