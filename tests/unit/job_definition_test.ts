import assert from "node:assert/strict";
import {
  jobPutSchema,
  parseStoredJob,
} from "../../src/domain/jobs/job_definition.ts";
import { formatIssuePath } from "../../src/domain/codecs/issue_path.ts";
import {
  isHeraldSchedule,
  jobOwner,
  jobScheduleId,
  planJobSchedule,
} from "../../src/domain/jobs/job_schedule.ts";

function firstPath(input: unknown): string | null {
  const parsed = jobPutSchema.safeParse(input);
  return parsed.success
    ? null
    : formatIssuePath(parsed.error.issues[0]?.path ?? []);
}

const base = {
  name: "Job",
  trigger: { type: "interval", every: "5m" },
  target: { builtin: "stats" },
};

Deno.test("jobPutSchema fills each built-in's defaults", () => {
  const parsed = jobPutSchema.parse({
    ...base,
    target: { builtin: "fanout", type: "morningDigest" },
  });
  assert.deepEqual(parsed.target, {
    builtin: "fanout",
    type: "morningDigest",
    title: "Your daily update",
    body: "",
    severity: "medium",
    pageSize: 500,
    parallelism: 20,
  });
  assert.equal(parsed.runAtStartup, false);
  assert.deepEqual(
    jobPutSchema.parse({ ...base, target: { builtin: "cleanup" } }).target,
    { builtin: "cleanup", retentionDays: 90 },
  );
});

Deno.test("jobPutSchema names the offending field of a target, built-in or webhook", () => {
  assert.equal(
    firstPath({ ...base, target: { builtin: "nope" } }),
    "target.builtin",
  );
  assert.equal(
    firstPath({ ...base, target: { builtin: "cleanup", retentionDays: -1 } }),
    "target.retentionDays",
  );
  assert.equal(
    firstPath({ ...base, target: { webhook: "ftp://x" } }),
    "target.webhook",
  );
  assert.equal(
    firstPath({ ...base, target: { webhook: "https://x", extra: 1 } }),
    "target",
  );
  assert.equal(firstPath({ ...base, target: "stats" }), "target");
});

Deno.test("jobPutSchema names the trigger's field and canonicalises the zone", () => {
  assert.equal(
    firstPath({ ...base, trigger: { type: "cron" } }),
    "trigger.cron",
  );
  assert.equal(
    firstPath({
      ...base,
      trigger: { type: "cron", cron: "0 6 * * *", timezone: "Nowhere" },
    }),
    "trigger.timezone",
  );
  const parsed = jobPutSchema.parse({
    ...base,
    trigger: { type: "cron", cron: "0 6 * * *", timezone: "africa/lome" },
  });
  assert.deepEqual(parsed.trigger, {
    type: "cron",
    cron: "0 6 * * *",
    timezone: "Africa/Lome",
  });
});

Deno.test("a stored job reads back as it was saved", () => {
  const job = parseStoredJob({
    id: "daily",
    name: "Daily",
    trigger: JSON.stringify({
      type: "cron",
      cron: "0 6 * * *",
      timezone: "Africa/Lome",
    }),
    target: JSON.stringify({ webhook: "https://app.example/jobs/daily" }),
    runAtStartup: true,
  });
  assert.deepEqual(job.target, {
    webhook: "https://app.example/jobs/daily",
    timeoutMs: 10_000,
  });
  assert.equal(job.runAtStartup, true);
});

Deno.test("job schedule ids use their own prefix and round-trip", () => {
  assert.equal(jobScheduleId("daily-gen"), "herald.j.daily-gen");
  assert.equal(jobOwner("herald.j.daily-gen"), "daily-gen");
  assert.equal(jobOwner("herald.j.a.b"), null);
  assert.equal(jobOwner("herald.u.YWRh.taskReminder.0900"), null);
  assert.ok(isHeraldSchedule("herald.j.x"));
  assert.ok(isHeraldSchedule("herald.u.YWRh.taskReminder.0900"));
  assert.ok(!isHeraldSchedule("other-system-nightly"));
});

Deno.test("planJobSchedule() makes the QStash schedule a job fires through", () => {
  assert.deepEqual(
    planJobSchedule(
      { id: "alerts", trigger: { type: "interval", every: "5m" } },
      "https://h/cb",
    ),
    {
      id: "herald.j.alerts",
      jobId: "alerts",
      cron: "*/5 * * * *",
      destination: "https://h/cb",
      body: '{"kind":"job-run","jobId":"alerts","trigger":"schedule"}',
    },
  );
  assert.throws(() =>
    planJobSchedule(
      { id: "x", trigger: { type: "interval", every: "7m" } },
      "https://h/cb",
    )
  );
});

Deno.test("a fan-out names the catalogue type it sends", () => {
  const result = jobPutSchema.safeParse({
    ...base,
    target: { builtin: "fanout" },
  });
  assert.equal(result.success, false);
  assert.deepEqual(result.error?.issues[0]?.path, ["target", "type"]);
});
