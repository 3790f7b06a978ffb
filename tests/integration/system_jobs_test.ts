import assert from "node:assert/strict";
import { createClient } from "@libsql/client/web";
import { z } from "zod";
import { parseConfig } from "../../src/config.ts";
import { openDatabase } from "../../src/store/database.ts";
import { createLogger } from "../../src/adapters/json_logger.ts";
import { composeDeps } from "../../src/compose.ts";
import { serviceContext } from "../../src/context.ts";
import { createMetricsRecorder } from "../../src/adapters/metrics_recorder.ts";
import { createLocalLimiter } from "../../src/adapters/refresh_limiter.ts";
import { createCatalogueCache } from "../../src/store/catalogue/catalogue_store.ts";
import { MissedBumps } from "../../src/adapters/redis_unread_cache.ts";
import { createInProcessChannels } from "../../src/realtime/hub/in_process_channels.ts";
import { runStartupJobs } from "../../src/services/jobs/startup_jobs.ts";
import { errorBody, read } from "../support/bodies.ts";
import { deliver, signedDelivery } from "../support/deliveries.ts";
import {
  callsBetween,
  fireSchedule,
  qstashClient,
  qstashStats,
} from "../support/qstash.ts";
import { jobView, runView, statusBody } from "../support/scheduler_bodies.ts";
import { integrationSuite } from "../support/suite.ts";
import { eventually } from "@herald/testing";
import { Webhook } from "standardwebhooks";

// The host app: a job webhook that reports what it did.
const hostCalls: { raw: string; body: unknown; headers: Headers }[] = [];
const host = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen() {} },
  async (req) => {
    const raw = await req.text();
    hostCalls.push({ raw, body: JSON.parse(raw), headers: req.headers });
    if (new URL(req.url).pathname === "/broken") {
      return new Response("no", { status: 500 });
    }
    return Response.json({ created: 2, updated: 1 });
  },
);
const hostUrl = (path: string) => `http://127.0.0.1:${host.addr.port}${path}`;

// A Standard Webhooks secret of the operator's: the host verifies with it.
const WEBHOOK_SECRET = `whsec_${
  btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
}`;
const suite = integrationSuite("system jobs", { vars: { WEBHOOK_SECRET } });
suite.onClose(() => host.shutdown());
const { test } = suite;

const jobBody = z.object({ job: jobView });
const runBody = z.object({ run: runView });

function putJob(id: string, body: unknown) {
  return suite.stack.admin(`/v1/scheduler/jobs/${id}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function trigger(id: string) {
  const res = await suite.stack.admin(`/v1/scheduler/jobs/${id}/trigger`, {
    method: "POST",
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await read(res, runBody)).run;
}

test("a job's timing is in QStash at once, and changes at run time", async () => {
  const qstash = qstashClient(suite.stack);
  const created = await putJob("alerts", {
    name: "Regenerate alerts",
    trigger: { type: "interval", every: "5m" },
    target: { webhook: hostUrl("/alerts") },
  });
  assert.equal(created.status, 201, await created.clone().text());
  const { job } = await read(created, jobBody);
  assert.equal(job.scheduleId, "herald.j.alerts");
  assert.equal(job.cron, "*/5 * * * *");
  assert.equal(job.sync, "synced");
  assert.ok(job.nextRun);
  assert.equal(new Date(job.nextRun).getUTCMinutes() % 5, 0);
  assert.equal((await qstash.schedules.get("herald.j.alerts")).cron, job.cron);

  const moved = await putJob("alerts", {
    name: "Regenerate alerts",
    trigger: { type: "cron", cron: "0 6 * * *", timezone: "Africa/Lome" },
    target: { webhook: hostUrl("/alerts") },
  });
  assert.equal(moved.status, 200);
  assert.equal(
    (await qstash.schedules.get("herald.j.alerts")).cron,
    "CRON_TZ=Africa/Lome 0 6 * * *",
  );

  const hours = await putJob("alerts", {
    name: "Regenerate alerts",
    trigger: {
      type: "cron",
      cron: "0 9-17 * * 1-5",
      timezone: "Europe/Paris",
    },
    target: { webhook: hostUrl("/alerts") },
  });
  const view = (await read(hours, jobBody)).job;
  assert.equal(
    (await qstash.schedules.get("herald.j.alerts")).cron,
    "CRON_TZ=Europe/Paris 0 9-17 * * 1-5",
  );
  const local = new Intl.DateTimeFormat("en-GB", {
    timeZone: "Europe/Paris",
    hour: "2-digit",
    minute: "2-digit",
    weekday: "short",
  }).formatToParts(new Date(view.nextRun ?? 0));
  const hour = Number(local.find((p) => p.type === "hour")?.value);
  assert.ok(hour >= 9 && hour <= 17, `next run at ${hour}h Paris`);
  assert.ok(
    !["Sat", "Sun"].includes(
      local.find((p) => p.type === "weekday")?.value ?? "",
    ),
  );

  // Changing only what the job does leaves QStash alone.
  const before = await qstashStats(suite.stack);
  await putJob("alerts", {
    name: "Regenerate alerts, renamed",
    trigger: {
      type: "cron",
      cron: "0 9-17 * * 1-5",
      timezone: "Europe/Paris",
    },
    target: { webhook: hostUrl("/alerts-v2") },
  });
  assert.deepEqual(callsBetween(before, await qstashStats(suite.stack)), {});
});

test("triggering a webhook job returns what the host app did, signed and recorded", async () => {
  await putJob("regen", {
    name: "Regenerate",
    trigger: { type: "interval", every: "1h" },
    target: { webhook: hostUrl("/regen") },
  });
  const calls = hostCalls.length;
  const run = await trigger("regen");
  assert.equal(run.status, "succeeded");
  assert.equal(run.trigger, "manual");
  assert.deepEqual(run.result, { created: 2, updated: 1 });
  const call = hostCalls[calls];
  assert.ok(call);
  // Verified as the host app would, with the spec's official library.
  new Webhook(WEBHOOK_SECRET).verify(
    call.raw,
    Object.fromEntries(call.headers),
  );
  assert.throws(
    () =>
      new Webhook(WEBHOOK_SECRET).verify(
        call.raw.replace("regen", "REGEN"),
        Object.fromEntries(call.headers),
      ),
    /No matching signature/,
  );
  assert.deepEqual(
    z.object({ jobId: z.string(), runId: z.string() }).parse(call.body),
    { jobId: "regen", runId: run.runId },
  );
  const res = await suite.stack.admin("/v1/scheduler/jobs/regen");
  const body = await read(
    res,
    z.object({ job: jobView, runs: z.array(runView) }),
  );
  assert.equal(body.job.lastRun?.runId, run.runId);
  assert.equal(body.runs[0]?.status, "succeeded");
});

test("a failing webhook job is recorded as failed with a safe reason", async () => {
  await putJob("broken", {
    name: "Broken",
    trigger: { type: "interval", every: "1d" },
    target: { webhook: hostUrl("/broken") },
  });
  const run = await trigger("broken");
  assert.equal(run.status, "failed");
  assert.equal(run.error, "webhook answered 500");
});

test("a fired job schedule runs once per QStash message, however often it is delivered", async () => {
  await putJob("tick", {
    name: "Tick",
    trigger: { type: "interval", every: "15m" },
    target: { webhook: hostUrl("/tick") },
  });
  const fired = await fireSchedule(suite.stack, "herald.j.tick");
  assert.equal(fired.status, 200);
  const res = await suite.stack.admin("/v1/scheduler/jobs/tick");
  const { job } = await read(res, z.object({ job: jobView }));
  assert.equal(job.lastRun?.trigger, "schedule");
  assert.equal(job.lastRun?.status, "succeeded");
  assert.equal(job.lastRun?.runId, `run_${fired.messageId}`);

  // The same message again (QStash is at-least-once): nothing runs.
  const calls = hostCalls.length;
  const d = await signedDelivery(
    suite.stack,
    JSON.stringify({ kind: "job-run", jobId: "tick", trigger: "schedule" }),
  );
  const first = await deliver(d, "msg_tick_replay");
  const second = await deliver(d, "msg_tick_replay");
  assert.equal(first.status, 200);
  assert.equal(second.status, 200);
  assert.equal((await read(second, runView)).duplicate, true);
  await first.body?.cancel();
  assert.equal(hostCalls.length, calls + 1);

  // The same signed delivery re-posted under another message id (that
  // header is not signed) is the same run, not a second one.
  const replayed = await deliver(d, "msg_tick_forged");
  assert.equal(replayed.status, 200);
  const again = await read(replayed, runView);
  assert.equal(again.duplicate, true);
  assert.equal(again.runId, "run_msg_tick_replay");
  assert.equal(hostCalls.length, calls + 1);
  // Without any message id it cannot be keyed: refused, nothing runs.
  const unkeyed = await fetch(d.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "upstash-signature": d.signature,
    },
    body: d.body,
  });
  assert.equal(unkeyed.status, 400);
  await unkeyed.body?.cancel();
  assert.equal(hostCalls.length, calls + 1);
});

test("cleanup deletes notifications past retention with their audiences and reads", async () => {
  const db = createClient({ url: suite.stack.standIns.libsqlUrl });
  const old = Date.now() - 100 * 86_400_000;
  for (let i = 0; i < 3; i++) {
    await db.batch([
      {
        sql:
          `insert into notifications (id, type, title, body, severity, source, created_at)
              values (?, 'old', 'Old', '', 'low', 'api', ?)`,
        args: [`ntf_old_${i}`, old + i],
      },
      {
        sql:
          `insert into notification_audiences (notification_id, audience, created_at)
              values (?, 'user:cleanup-user', ?)`,
        args: [`ntf_old_${i}`, old + i],
      },
      {
        sql: `insert into notification_reads values ('cleanup-user', ?, ?)`,
        args: [`ntf_old_${i}`, old + i],
      },
    ], "write");
  }
  const fresh = await suite.stack.admin("/v1/notifications", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      userId: "cleanup-user",
      type: "fresh",
      title: "Fresh",
    }),
  });
  assert.equal(fresh.status, 201);
  await putJob("cleanup", {
    name: "Clean up",
    trigger: {
      type: "cron",
      cron: "0 2 * * *",
      timezone: "Europe/Paris",
    },
    target: { builtin: "cleanup", retentionDays: 90 },
  });
  const run = await trigger("cleanup");
  assert.equal(run.status, "succeeded");
  assert.deepEqual(
    z.object({ deleted: z.number(), more: z.boolean() }).parse(run.result),
    { deleted: 3, more: false },
  );
  const left = await db.execute(
    `select
      (select count(*) from notifications where id like 'ntf_old_%') as n,
      (select count(*) from notification_audiences where notification_id like 'ntf_old_%') as a,
      (select count(*) from notification_reads where notification_id like 'ntf_old_%') as r`,
  );
  assert.deepEqual(
    [left.rows[0]?.n, left.rows[0]?.a, left.rows[0]?.r].map(Number),
    [0, 0, 0],
  );
  const inbox = await suite.stack.admin(
    "/v1/users/cleanup-user/notifications",
  );
  const items = z.object({ items: z.array(z.object({ type: z.string() })) })
    .parse(await inbox.json()).items;
  assert.deepEqual(items.map((i) => i.type), ["fresh"]);
  db.close();
});

test("slot failures show in status for a day, and cleanup prunes them after a week", async () => {
  const status = async () =>
    statusBody.parse(
      await (await suite.stack.admin("/v1/scheduler/status?limit=1")).json(),
    );
  const before = await status();
  assert.deepEqual(before.slotFailures, { lastDay: 0, latest: null });
  // Herald's clock, as status reads it.
  const now = Date.parse(before.checkedAt);
  const HOUR = 3_600_000;
  const failure = (member: string, agoMs: number, error: string) => ({
    sql: `insert into slot_failures (slot, fired_at, member_id, error, at)
      values (?, ?, ?, ?, ?)`,
    args: ["0930", now - agoMs - 5_000, member, error, now - agoMs],
  });
  const db = createClient({ url: suite.stack.standIns.libsqlUrl });
  try {
    await db.batch([
      failure("m_past_week", 8 * 24 * HOUR, "Error"),
      failure("m_this_week", 3 * 24 * HOUR, "Error"),
      failure("m_today", 2 * HOUR, "unreadable preferences"),
      failure("m_latest", HOUR, "TypeError"),
    ], "write");
    assert.deepEqual((await status()).slotFailures, {
      lastDay: 2,
      latest: {
        slot: "0930",
        firedAt: new Date(now - HOUR - 5_000).toISOString(),
        at: new Date(now - HOUR).toISOString(),
        error: "TypeError",
      },
    });
    await putJob("cleanup", {
      name: "Clean up",
      trigger: { type: "cron", cron: "0 2 * * *", timezone: "Europe/Paris" },
      target: { builtin: "cleanup", retentionDays: 90 },
    });
    const run = await trigger("cleanup");
    assert.equal(run.status, "succeeded");
    assert.equal(
      z.object({ slotFailuresPruned: z.number() }).parse(run.result)
        .slotFailuresPruned,
      1,
    );
    const left = await db.execute(
      "select member_id from slot_failures order by at",
    );
    assert.deepEqual(left.rows.map((r) => r.member_id), [
      "m_this_week",
      "m_today",
      "m_latest",
    ]);
  } finally {
    db.close();
  }
});

test("stats counts a day's notifications sent and read per type, stores and returns them", async () => {
  for (const type of ["stats.a", "stats.a", "stats.b"]) {
    const res = await suite.stack.admin("/v1/notifications", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ userId: "stats-user", type, title: "Hi" }),
    });
    assert.equal(res.status, 201);
  }
  const readAll = await suite.stack.admin(
    "/v1/users/stats-user/notifications/read-all",
    { method: "POST" },
  );
  assert.equal(readAll.status, 200);
  await putJob("stats", {
    name: "Daily stats",
    trigger: { type: "cron", cron: "0 0 * * *", timezone: "UTC" },
    target: { builtin: "stats", day: "today" },
  });
  const run = await trigger("stats");
  const result = z.object({
    day: z.string(),
    types: z.record(
      z.string(),
      z.object({ sent: z.number(), read: z.number() }),
    ),
  }).parse(run.result);
  assert.equal(result.day, new Date().toISOString().slice(0, 10));
  assert.deepEqual(result.types["stats.a"], { sent: 2, read: 2 });
  assert.deepEqual(result.types["stats.b"], { sent: 1, read: 1 });
  const stored = z.object({
    days: z.array(
      z.object({ day: z.string(), type: z.string(), sent: z.number() }),
    ),
  }).parse(await (await suite.stack.admin("/v1/scheduler/stats")).json());
  assert.ok(stored.days.some((d) => d.type === "stats.a" && d.sent === 2));
});

test("deleting a job removes its QStash schedule", async () => {
  await putJob("doomed", {
    name: "Doomed",
    trigger: { type: "interval", every: "30m" },
    target: { builtin: "stats" },
  });
  const qstash = qstashClient(suite.stack);
  assert.equal(
    (await qstash.schedules.get("herald.j.doomed")).cron,
    "*/30 * * * *",
  );
  const res = await suite.stack.admin("/v1/scheduler/jobs/doomed", {
    method: "DELETE",
  });
  assert.equal(res.status, 200);
  await assert.rejects(qstash.schedules.get("herald.j.doomed"));
  const gone = await suite.stack.admin("/v1/scheduler/jobs/doomed");
  assert.equal(gone.status, 404);
  const list = z.object({ jobs: z.array(jobView) }).parse(
    await (await suite.stack.admin("/v1/scheduler/jobs")).json(),
  );
  assert.ok(!list.jobs.some((j) => j.id === "doomed"));
});

test("while the scheduler is stopped a new job's schedule is created paused", async () => {
  const stop = await suite.stack.admin("/v1/scheduler/stop", {
    method: "POST",
  });
  assert.equal(stop.status, 200);
  await stop.body?.cancel();
  try {
    const res = await putJob("quiet", {
      name: "Quiet",
      trigger: { type: "interval", every: "10m" },
      target: { builtin: "stats" },
    });
    const { job } = await read(res, jobBody);
    assert.equal(job.paused, true);
    assert.equal(job.nextRun, null);
    const held = await qstashClient(suite.stack).schedules.get(
      "herald.j.quiet",
    );
    assert.equal(held.isPaused, true);
  } finally {
    const start = await suite.stack.admin("/v1/scheduler/start", {
      method: "POST",
    });
    assert.equal(start.status, 200);
    await start.body?.cancel();
  }
  const held = await qstashClient(suite.stack).schedules.get("herald.j.quiet");
  assert.equal(held.isPaused, false);
});

test("start-up jobs run once per deployment marker, through QStash", async () => {
  await putJob("warmup", {
    name: "Warm up",
    trigger: { type: "interval", every: "1d" },
    target: { webhook: hostUrl("/warmup") },
    runAtStartup: true,
  });
  const config = parseConfig({
    ...suite.stack.standIns.env,
    API_KEY: suite.stack.apiKey,
    JWT_SECRET: suite.stack.jwtSecret,
    PUBLIC_URL: suite.stack.url,
  });
  const client = createClient({ url: suite.stack.standIns.libsqlUrl });
  const now = () => Date.now();
  const deps = composeDeps({
    config,
    db: openDatabase(client),
    redis: () => null,
    channels: createInProcessChannels(),
    metrics: createMetricsRecorder(),
    log: createLogger(() => {}),
    localLimiter: createLocalLimiter(now),
    catalogueCache: createCatalogueCache(),
    missedBumps: new MissedBumps(),
    now,
    devClock: null,
  });
  // Start-up jobs hand nothing to the background: a task there is a bug.
  const ctx = serviceContext(deps, {
    background: () => {
      throw new Error("runStartupJobs handed work to the background");
    },
  });
  try {
    assert.equal(
      await runStartupJobs({ ctx, marker: "test-deployment-1" }),
      1,
    );
    assert.equal(
      await runStartupJobs({ ctx, marker: "test-deployment-1" }),
      0,
    );
    const run = await eventually("the start-up run", async () => {
      const res = await suite.stack.admin("/v1/scheduler/jobs/warmup");
      const { job } = await read(res, z.object({ job: jobView }));
      return job.lastRun?.status === "succeeded" ? job.lastRun : null;
    });
    assert.equal(run.trigger, "startup");
  } finally {
    client.close();
  }
});

test("a job saved while QStash is down stays pending until the cron sweep syncs it", async () => {
  await suite.stack.standIns.faults.qstash.down();
  let saved;
  try {
    saved = await putJob("later", {
      name: "Later",
      trigger: { type: "interval", every: "20m" },
      target: { builtin: "stats" },
    });
  } finally {
    await suite.stack.standIns.faults.qstash.up();
  }
  assert.equal(saved.status, 201);
  assert.equal((await read(saved, jobBody)).job.sync, "pending");
  await suite.stack.runCron();
  const res = await suite.stack.admin("/v1/scheduler/jobs/later");
  const { job } = await read(res, z.object({ job: jobView }));
  assert.equal(job.sync, "synced");
  assert.equal(
    (await qstashClient(suite.stack).schedules.get("herald.j.later")).cron,
    "*/20 * * * *",
  );
});

const INVALID: [string, Record<string, unknown>, string][] = [
  ["an interval cron cannot repeat exactly", {
    trigger: { type: "interval", every: "7m" },
  }, "trigger.every"],
  ["an interval finer than a minute", {
    trigger: { type: "interval", every: "90s" },
  }, "trigger.every"],
  ["an interval that is not one", {
    trigger: { type: "interval", every: "soon" },
  }, "trigger.every"],
  ["a six-field cron", {
    trigger: { type: "cron", cron: "0 0 6 * * *" },
  }, "trigger.cron"],
  ["a cron with its zone inside", {
    trigger: { type: "cron", cron: "CRON_TZ=UTC 0 6 * * *" },
  }, "trigger.cron"],
  ["an unknown zone", {
    trigger: { type: "cron", cron: "0 6 * * *", timezone: "Mars/Base" },
  }, "trigger.timezone"],
  ["an unknown trigger type", {
    trigger: { type: "sometimes" },
  }, "trigger.type"],
  ["an unknown built-in", {
    target: { builtin: "explode" },
  }, "target.builtin"],
  ["a webhook that is not a URL", {
    target: { webhook: "not a url" },
  }, "target.webhook"],
  ["a retention of zero days", {
    target: { builtin: "cleanup", retentionDays: 0 },
  }, "target.retentionDays"],
  ["a fan-out page over 1000", {
    target: { builtin: "fanout", type: "morningDigest", pageSize: 5000 },
  }, "target.pageSize"],
  ["a fan-out without its type", {
    target: { builtin: "fanout" },
  }, "target.type"],
  ["a fan-out of a type the catalogue lacks", {
    target: { builtin: "fanout", type: "noSuchType" },
  }, "target.type"],
  ["a missing name", { name: undefined }, "name"],
];

for (const [what, patch, field] of INVALID) {
  test(`a job with ${what} is refused with 400 naming "${field}"`, async () => {
    const body = {
      name: "Bad",
      trigger: { type: "interval", every: "5m" },
      target: { builtin: "stats" },
      ...patch,
    };
    const res = await putJob("bad-job", body);
    assert.equal(res.status, 400);
    const error = await read(res, errorBody);
    assert.equal(error.error.code, "validation_failed");
    assert.equal(error.error.fields?.[0]?.path, field, error.error.message);
    const gone = await suite.stack.admin("/v1/scheduler/jobs/bad-job");
    assert.equal(gone.status, 404);
    await gone.body?.cancel();
  });
}

test("a job id outside QStash's id alphabet is refused", async () => {
  const res = await putJob("bad.id", {
    name: "Bad",
    trigger: { type: "interval", every: "5m" },
    target: { builtin: "stats" },
  });
  assert.equal(res.status, 400);
  assert.equal((await read(res, errorBody)).error.fields?.[0]?.path, "id");
});

test("unknown jobs are 404 for trigger and delete", async () => {
  for (
    const [method, path] of [
      ["POST", "/v1/scheduler/jobs/nope/trigger"],
      ["DELETE", "/v1/scheduler/jobs/nope"],
    ]
  ) {
    const res = await suite.stack.admin(path!, { method });
    assert.equal(res.status, 404);
    assert.equal((await read(res, errorBody)).error.code, "not_found");
  }
});

suite.run();
