import assert from "node:assert/strict";
import { z } from "zod";
import { isHeraldSchedule } from "../../src/domain/jobs/job_schedule.ts";
import { scheduleIdFor } from "../../src/domain/schedules/schedule_plan.ts";
import { slotScheduleId } from "../../src/domain/schedules/slot_plan.ts";
import { expectScheduled, heraldNow, userJobs } from "../support/placement.ts";
import { callsBetween, qstashClient, qstashStats } from "../support/qstash.ts";
import { integrationSuite } from "../support/suite.ts";
import { eventually } from "@herald/testing";
import {
  errorBody,
  healthBody,
  read,
  reconcileOutcome,
  writeResult,
} from "../support/bodies.ts";
import {
  driftBody,
  operationBody,
  statusBody,
} from "../support/scheduler_bodies.ts";

const suite = integrationSuite("scheduler control: stop, start, restart", {
  placements: ["slots", "per-user"],
});
const { test } = suite;
let n = 0;
const newUser = () => `ctl-${++n}`;

const PARIS = {
  enabled: true,
  timezone: "Europe/Paris",
  types: {
    morningDigest: { enabled: true, times: ["09:30"] },
    taskReminder: { enabled: true, times: ["14:00"] },
  },
};

async function save(userId: string, body: unknown = PARIS, method = "PUT") {
  const res = await suite.stack.admin(`/v1/users/${userId}/preferences`, {
    method,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return await read(res, writeResult);
}

async function operation(kind: string, query = "") {
  const res = await suite.stack.admin(`/v1/scheduler/${kind}${query}`, {
    method: "POST",
  });
  return { status: res.status, ...(await read(res, operationBody)) };
}

async function heraldSchedules() {
  const all = await qstashClient(suite.stack).schedules.list();
  return all.filter((s) => isHeraldSchedule(s.scheduleId));
}

async function status(query = "") {
  const res = await suite.stack.admin(`/v1/scheduler/status${query}`);
  assert.equal(res.status, 200);
  return await read(res, statusBody);
}

test("stop pauses every Herald schedule and nothing else; writes still reconcile, paused; start resumes them", async () => {
  const qstash = qstashClient(suite.stack);
  const [a, b] = [newUser(), newUser()];
  await save(a);
  await save(b);
  // Another system's schedule in the same QStash account.
  await qstash.schedules.create({
    scheduleId: "other-system-nightly",
    destination: `${suite.stack.url}/elsewhere`,
    cron: "0 3 * * *",
  });

  const stopped = await operation("stop");
  assert.equal(stopped.status, 200);
  assert.equal(stopped.operation.status, "done");
  const held = await heraldSchedules();
  // Two users at the same times: four schedules, or two shared slots.
  assert.ok(held.length >= (suite.placement === "per-user" ? 4 : 2));
  assert.equal(stopped.operation.progress.paused, held.length);
  assert.ok(held.every((s) => s.isPaused), "every Herald schedule is paused");
  assert.equal(
    (await qstash.schedules.get("other-system-nightly")).isPaused,
    false,
  );
  const whileStopped = await status();
  assert.equal(whileStopped.running, false);
  assert.equal(whileStopped.activeJobs, 0);
  assert.ok(whileStopped.jobs.every((j) => j.paused && j.nextRun === null));

  // Writes still save and reconcile, into paused schedules.
  const c = newUser();
  const created = await save(c);
  assert.equal(created.reconcile.status, "synced");
  assert.equal(created.reconcile.created.length, 2);
  const changed = await save(
    a,
    { types: { taskReminder: { times: ["15:00"] } } },
    "PATCH",
  );
  assert.equal(changed.reconcile.created.length, 1);
  for (const user of [a, c]) {
    for (const job of (await userJobs(suite.stack, user)).values()) {
      assert.equal(job.paused, true, `${job.id} is paused`);
    }
  }
  const written = await heraldSchedules();
  assert.ok(written.every((s) => s.isPaused), "what was written is paused");

  const started = await operation("start");
  assert.equal(started.operation.status, "done");
  assert.equal(
    started.operation.progress.resumed,
    (await heraldSchedules()).length,
  );
  assert.ok((await heraldSchedules()).every((s) => !s.isPaused));
  const afterStart = await status();
  assert.equal(afterStart.running, true);
  assert.ok(afterStart.jobs.every((j) => !j.paused && j.nextRun !== null));
  await qstash.schedules.delete("other-system-nightly");
});

/**
 * The QStash schedules one user's morning digest and task reminder live in:
 * their own (per-user), or the slots they are members of.
 */
async function schedulesFor(user: string) {
  const jobs = [...(await userJobs(suite.stack, user)).values()];
  const scheduleOf = (type: string) => {
    const job = jobs.find((j) => j.type === type);
    assert.ok(job, `${user} has a ${type}`);
    return suite.placement === "per-user"
      ? job.id
      : slotScheduleId(job.slot ?? "");
  };
  return {
    digest: scheduleOf("morningDigest"),
    reminder: scheduleOf("taskReminder"),
  };
}

test("restart heals a schedule deleted or changed behind Herald's back and removes orphans", async () => {
  const qstash = qstashClient(suite.stack);
  const user = newUser();
  await save(user);
  const { digest, reminder } = await schedulesFor(user);
  const reminderCron = (await qstash.schedules.get(reminder)).cron;
  await qstash.schedules.delete(digest);
  await qstash.schedules.create({
    scheduleId: reminder,
    destination: `${suite.stack.url}/v1/qstash/callback`,
    cron: "CRON_TZ=Europe/Paris 0 15 * * *",
    body: "{}",
  });
  const ghost = scheduleIdFor("ghost-user", "taskReminder", "09:00");
  // A slot nobody is in (a minute no test user's time falls on).
  const emptySlot = slotScheduleId("0117");
  for (const scheduleId of [ghost, "herald.j.gone-job", emptySlot]) {
    await qstash.schedules.create({
      scheduleId,
      destination: `${suite.stack.url}/v1/qstash/callback`,
      cron: "0 9 * * *",
      body: "{}",
    });
  }

  const restarted = await operation("restart");
  assert.equal(restarted.status, 200);
  const { progress } = restarted.operation;
  assert.equal(restarted.operation.status, "done");
  if (suite.placement === "per-user") {
    assert.equal(progress.created, 1);
    assert.equal(progress.updated, 1);
  } else {
    // A slot schedule that is wrong is made again, like a missing one.
    assert.equal(progress.created, 2);
  }
  assert.equal(progress.deleted, 3);
  const held = new Map(
    (await heraldSchedules()).map((s) => [s.scheduleId, s]),
  );
  assert.ok(held.has(digest));
  assert.equal(held.get(reminder)?.cron, reminderCron);
  for (const gone of [ghost, "herald.j.gone-job", emptySlot]) {
    assert.ok(!held.has(gone), `${gone} is deleted`);
  }
  await expectScheduled(suite.stack, suite.placement, user);

  // Nothing left to change: one list, no write at all.
  const before = await qstashStats(suite.stack);
  const again = await operation("restart");
  assert.equal(again.operation.status, "done");
  assert.equal(again.operation.progress.created, 0);
  assert.equal(again.operation.progress.updated, 0);
  assert.equal(again.operation.progress.deleted, 0);
  assert.deepEqual(callsBetween(before, await qstashStats(suite.stack)), {
    "GET /v2/schedules": 1,
  });
});

test("restart fixes a ledger that drifted while QStash was right, without QStash writes", async () => {
  const user = newUser();
  await save(user);
  const db = await import("@libsql/client/web").then((m) =>
    m.createClient({ url: suite.stack.standIns.libsqlUrl })
  );
  // What Herald remembers of the schedules this user needs, forgotten.
  const { digest, reminder } = await schedulesFor(user);
  await db.execute({
    sql: "delete from schedules where id in (?, ?)",
    args: [digest, reminder],
  });
  db.close();
  const before = await qstashStats(suite.stack);
  const restarted = await operation("restart");
  assert.ok(restarted.operation.progress.ledgerFixed >= 1);
  assert.deepEqual(callsBetween(before, await qstashStats(suite.stack)), {
    "GET /v2/schedules": 1,
  });
  const listed = await status(`?userId=${user}`);
  assert.equal(listed.jobs.length, 2);
});

test("a restart that fails resumes where it stopped", async () => {
  await save(newUser());
  await suite.stack.standIns.faults.qstash.down();
  let failedId: string;
  try {
    const failed = await operation("restart");
    assert.equal(failed.status, 503);
    assert.equal(failed.operation.status, "failed");
    assert.match(failed.operation.error ?? "", /QStash/);
    failedId = failed.operation.id;
  } finally {
    await suite.stack.standIns.faults.qstash.up();
  }
  const resumed = await operation("restart");
  assert.equal(resumed.operation.id, failedId);
  assert.equal(resumed.operation.resumed, true);
  assert.equal(resumed.operation.status, "done");
});

test("a restart in pages continues through QStash and reports how far it got", async () => {
  for (let i = 0; i < 3; i++) await save(newUser());
  const first = await operation("restart", "?pageSize=2&pagesPerCall=1");
  assert.equal(first.status, 202);
  assert.equal(first.operation.continuing, true);
  assert.equal(first.operation.progress.pages, 1);
  const op = await eventually("the restart to finish", async () => {
    const res = await suite.stack.admin(
      `/v1/scheduler/operations/${first.operation.id}`,
    );
    const { operation } = await read(res, operationBody);
    return operation.status === "done" ? operation : null;
  });
  assert.ok(op.progress.users >= 3);
  assert.ok(op.progress.pages > 3, `pages: ${op.progress.pages}`);
});

test("forcing one user's reconcile repairs drift the ledger cannot see", async () => {
  const qstash = qstashClient(suite.stack);
  const user = newUser();
  // A time of its own, so under slots it is a slot only this user is in.
  await save(user, {
    ...PARIS,
    types: {
      ...PARIS.types,
      morningDigest: { enabled: true, times: ["04:07"] },
    },
  });
  const { digest } = await schedulesFor(user);
  await qstash.schedules.delete(digest);

  const drift = await read(
    await suite.stack.admin(`/v1/scheduler/drift?userId=${user}`),
    driftBody,
  );
  assert.equal(drift.summary.missing, 1);
  assert.equal(drift.summary.unexpected + drift.summary.different, 0);
  assert.equal(drift.schedules.find((s) => s.id === digest)?.state, "missing");

  const res = await suite.stack.admin(
    `/v1/scheduler/users/${user}/reconcile`,
    { method: "POST" },
  );
  assert.equal(res.status, 200);
  const body = await read(
    res,
    z.object({ reconcile: reconcileOutcome, slots: z.array(z.string()) }),
  );
  if (suite.placement === "per-user") {
    assert.deepEqual(body.reconcile.created, [digest]);
  } else {
    // The member was right all along; its slot's schedule was made again.
    assert.deepEqual(body.reconcile.created, []);
    assert.deepEqual(body.slots, [digest]);
  }
  await qstash.schedules.get(digest);
  const healed = await read(
    await suite.stack.admin(`/v1/scheduler/drift?userId=${user}`),
    driftBody,
  );
  assert.equal(healed.summary.ok, healed.schedules.length);
});

test("drift for everybody names each schedule that is missing, unexpected or different", async () => {
  const qstash = qstashClient(suite.stack);
  const user = newUser();
  await save(user);
  const { digest, reminder } = await schedulesFor(user);
  await qstash.schedules.delete(digest);
  await qstash.schedules.pause({ schedule: reminder });
  const stray = scheduleIdFor("stray-user", "taskReminder", "08:00");
  await qstash.schedules.create({
    scheduleId: stray,
    destination: `${suite.stack.url}/v1/qstash/callback`,
    cron: "0 8 * * *",
  });
  const drift = await read(
    await suite.stack.admin("/v1/scheduler/drift"),
    driftBody,
  );
  const state = (id: string) => drift.schedules.find((s) => s.id === id);
  assert.equal(state(digest)?.state, "missing");
  assert.equal(state(reminder)?.state, "different");
  assert.deepEqual(state(reminder)?.fields, ["paused"]);
  assert.equal(state(stray)?.state, "unexpected");
  assert.ok(drift.summary.ok > 0);
  await operation("restart");
  const after = await read(
    await suite.stack.admin("/v1/scheduler/drift"),
    driftBody,
  );
  assert.equal(after.schedules.length, 0, JSON.stringify(after.schedules));
});

test("status lists schedules with their trigger and next run in their zone, by user and by page", async () => {
  const user = newUser();
  await save(user);
  const mine = await status(`?userId=${user}`);
  assert.equal(mine.running, true);
  assert.equal(mine.defaultTimezone, "UTC");
  assert.deepEqual(mine.jobIds, mine.jobs.map((j) => j.id));
  const digest = mine.jobs.find((j) => j.type === "morningDigest");
  assert.ok(digest);
  assert.equal(digest.kind, "user");
  assert.equal(digest.userId, user);
  assert.deepEqual(digest.trigger, {
    type: "cron",
    cron: "30 9 * * *",
    timezone: "Europe/Paris",
  });
  assert.ok(digest.nextRun);
  const next = new Date(digest.nextRun);
  assert.ok(next.getTime() > await heraldNow(suite.stack));
  const local = new Intl.DateTimeFormat("en-GB", {
    timeZone: "Europe/Paris",
    hour: "2-digit",
    minute: "2-digit",
  }).format(next);
  assert.equal(local, "09:30");

  const first = await status("?limit=1");
  assert.equal(first.jobs.length, 1);
  assert.ok(first.nextCursor);
  const second = await status(`?limit=1&cursor=${first.nextCursor}`);
  assert.equal(second.jobs.length, 1);
  assert.ok(second.jobs[0]!.id > first.jobs[0]!.id);

  const bad = await suite.stack.admin("/v1/scheduler/status?cursor=%21%21");
  assert.equal(bad.status, 400);
  const tooMany = await suite.stack.admin("/v1/scheduler/status?limit=9999");
  assert.equal(tooMany.status, 400);
  const error = await read(tooMany, errorBody);
  assert.equal(error.error.fields?.[0]?.path, "limit");
});

test("users-count counts active users only", async () => {
  const count = z.object({ count: z.number() });
  const before = await read(
    await suite.stack.admin("/v1/scheduler/users-count"),
    count,
  );
  await save(newUser());
  await save(newUser(), { enabled: false, timezone: "UTC", types: {} });
  const after = await read(
    await suite.stack.admin("/v1/scheduler/users-count"),
    count,
  );
  assert.equal(after.count, before.count + 1);
});

test("scheduler health is degraded without Redis and down (503) without libSQL", async () => {
  await suite.stack.standIns.faults.redis!.down();
  try {
    const res = await suite.stack.admin("/v1/scheduler/health");
    assert.equal(res.status, 200);
    const body = await read(res, healthBody);
    assert.equal(body.status, "degraded");
    assert.equal(body.checks.redis.ok, false);
  } finally {
    await suite.stack.standIns.faults.redis!.up();
  }
  await suite.stack.standIns.faults.libsql.down();
  try {
    // Admin auth needs no database, so health can still be asked.
    const res = await suite.stack.admin("/v1/scheduler/health");
    assert.equal(res.status, 503);
    const body = await read(res, healthBody);
    assert.equal(body.status, "down");
    assert.equal(body.checks.libsql.ok, false);
    assert.equal(typeof body.checks.libsql.latencyMs, "number");
  } finally {
    await suite.stack.standIns.faults.libsql.up();
  }
  const again = await read(
    await suite.stack.admin("/v1/scheduler/health"),
    healthBody,
  );
  assert.equal(again.status, "ok");
});

const ROUTES: [string, string][] = [
  ["GET", "/v1/scheduler/status"],
  ["POST", "/v1/scheduler/stop"],
  ["POST", "/v1/scheduler/start"],
  ["POST", "/v1/scheduler/restart"],
  ["POST", "/v1/scheduler/users/someone/reconcile"],
  ["GET", "/v1/scheduler/drift"],
  ["GET", "/v1/scheduler/health"],
  ["GET", "/v1/scheduler/users-count"],
  ["GET", "/v1/scheduler/jobs"],
  ["PUT", "/v1/scheduler/jobs/x"],
  ["DELETE", "/v1/scheduler/jobs/x"],
  ["POST", "/v1/scheduler/jobs/x/trigger"],
  ["GET", "/metrics"],
];

test("every scheduler route refuses no token (401) and a user's token (403)", async () => {
  const token = await suite.stack.userToken("ctl-intruder");
  for (const [method, path] of ROUTES) {
    const anonymous = await fetch(`${suite.stack.url}${path}`, { method });
    assert.equal(anonymous.status, 401, `${method} ${path}`);
    await anonymous.body?.cancel();
    const user = await fetch(`${suite.stack.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(user.status, 403, `${method} ${path}`);
    assert.equal((await read(user, errorBody)).error.code, "forbidden");
  }
});

test("GET /metrics reports counters from libSQL and live gauges in Prometheus text", async () => {
  await save(newUser());
  const res = await suite.stack.admin("/metrics");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
  const text = await res.text();
  assert.match(text, /^# TYPE herald_http_requests_total counter$/m);
  assert.match(text, /^herald_http_requests_total\{status="2xx"\} \d+$/m);
  assert.match(text, /^herald_reconciles_total\{outcome="synced"\} [1-9]\d*$/m);
  assert.match(
    text,
    /^herald_qstash_calls_total\{call="upsert",outcome="ok"\} [1-9]\d*$/m,
  );
  assert.match(text, /^herald_live_subscribers 0$/m);
});
suite.run();
