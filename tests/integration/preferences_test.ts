import assert from "node:assert/strict";
import { planUserSchedules } from "../../src/domain/schedule_plan.ts";
import {
  advanceClock,
  qstashCalls,
  qstashClient,
  schedulesOf,
} from "../support/qstash.ts";
import { integrationSuite } from "../support/suite.ts";
import {
  errorBody,
  preferencesView,
  read,
  type WriteResult,
  writeResult,
} from "../support/bodies.ts";

const suite = integrationSuite("preferences and per-user reconciliation");
const test = suite.test;
let nextUser = 0;
const newUser = () => `pref-user-${++nextUser}@example.com`;

const PARIS = {
  enabled: true,
  timezone: "Europe/Paris",
  quietHours: { start: "22:00", end: "07:00" },
  types: {
    morningDigest: {
      enabled: true,
      times: ["09:30"],
      days: ["mon", "tue", "wed", "thu", "fri"],
    },
    taskReminder: { enabled: true, times: ["14:00", "17:30"] },
  },
};

function write(
  method: "PUT" | "PATCH",
  userId: string,
  body: unknown,
  token = suite.stack.apiKey,
) {
  return fetch(
    `${suite.stack.url}/v1/users/${encodeURIComponent(userId)}/preferences`,
    {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
      },
      body: typeof body === "string" ? body : JSON.stringify(body),
    },
  );
}

async function ok(res: Response): Promise<WriteResult> {
  assert.deepEqual(res.status, 200, await res.clone().text());
  return await read(res, writeResult);
}

async function expectQStashMatches(userId: string) {
  const view = await read(
    await suite.stack.admin(
      `/v1/users/${encodeURIComponent(userId)}/preferences`,
    ),
    preferencesView,
  );
  const want = planUserSchedules(userId, view.preferences, {
    destination: `${suite.stack.url}/v1/qstash/callback`,
  });
  const held = await schedulesOf(qstashClient(suite.stack), userId);
  assert.deepEqual([...held.keys()].sort(), want.map((s) => s.id));
  for (const s of want) {
    assert.deepEqual(held.get(s.id)?.cron, s.cron);
    assert.deepEqual(held.get(s.id)?.body, s.body);
  }
  return view;
}

test("PUT saves preferences and creates one QStash schedule per type and time", async () => {
  const user = newUser();
  const result = await ok(await write("PUT", user, PARIS));
  assert.deepEqual(result.version, 1);
  assert.deepEqual(result.reconcile.status, "synced");
  assert.deepEqual(result.reconcile.created.length, 3);
  assert.deepEqual(result.preferences.types.eveningSummary.enabled, false);
  const held = await schedulesOf(qstashClient(suite.stack), user);
  const crons = [...held.values()].map((s) => s.cron).sort();
  assert.deepEqual(crons, [
    "CRON_TZ=Europe/Paris 0 14 * * *",
    "CRON_TZ=Europe/Paris 30 17 * * *",
    "CRON_TZ=Europe/Paris 30 9 * * 1,2,3,4,5",
  ]);
  for (const s of held.values()) {
    assert.deepEqual(s.destination, `${suite.stack.url}/v1/qstash/callback`);
  }
});

test("changing one time changes that schedule and nothing else", async () => {
  const user = newUser();
  await ok(await write("PUT", user, PARIS));
  const before = await schedulesOf(qstashClient(suite.stack), user);
  const result = await ok(
    await write("PATCH", user, {
      types: { taskReminder: { times: ["14:00", "18:00"] } },
    }),
  );
  assert.deepEqual(result.version, 2);
  assert.deepEqual(result.changes.map((c) => c.path), [
    "types.taskReminder.times",
  ]);
  assert.deepEqual(result.reconcile.created.length, 1);
  assert.deepEqual(result.reconcile.deleted.length, 1);
  assert.deepEqual(result.reconcile.updated, []);
  assert.deepEqual(result.reconcile.unchanged.length, 2);
  const after = await schedulesOf(qstashClient(suite.stack), user);
  for (const id of result.reconcile.unchanged) {
    // Untouched schedules are the very same objects QStash created first.
    assert.deepEqual(after.get(id)?.createdAt, before.get(id)?.createdAt);
    assert.deepEqual(after.get(id)?.cron, before.get(id)?.cron);
  }
  assert.ok(!after.has(result.reconcile.deleted[0]!));
  assert.deepEqual(
    after.get(result.reconcile.created[0]!)?.cron,
    "CRON_TZ=Europe/Paris 0 18 * * *",
  );
});

test("changing the days of a type updates its schedule in place", async () => {
  const user = newUser();
  await ok(await write("PUT", user, PARIS));
  const result = await ok(
    await write("PATCH", user, {
      types: { morningDigest: { days: ["sat", "sun"] } },
    }),
  );
  assert.deepEqual(result.reconcile.updated.length, 1);
  assert.deepEqual(result.reconcile.created, []);
  assert.deepEqual(result.reconcile.deleted, []);
  await expectQStashMatches(user);
});

test("a write that changes nothing saves nothing and makes zero QStash calls", async () => {
  const user = newUser();
  await ok(await write("PUT", user, PARIS));
  const calls = await qstashCalls(suite.stack);
  const same = await ok(await write("PUT", user, PARIS));
  const patch = await ok(
    await write("PATCH", user, { timezone: "Europe/Paris" }),
  );
  assert.deepEqual(await qstashCalls(suite.stack), calls);
  for (const result of [same, patch]) {
    assert.deepEqual(result.version, 1);
    assert.deepEqual(result.changes, []);
    assert.deepEqual(result.reconcile.status, "synced");
    assert.deepEqual(result.reconcile.unchanged.length, 3);
  }
});

test("an unrelated change (quiet hours) touches no schedule", async () => {
  const user = newUser();
  await ok(await write("PUT", user, PARIS));
  const calls = await qstashCalls(suite.stack);
  const result = await ok(
    await write("PATCH", user, {
      quietHours: { start: "23:00", end: "06:00" },
    }),
  );
  assert.deepEqual(result.version, 2);
  assert.deepEqual(result.reconcile.unchanged.length, 3);
  assert.deepEqual(await qstashCalls(suite.stack), calls);
});

test("global disable deletes every schedule and re-enable restores them", async () => {
  const user = newUser();
  await ok(await write("PUT", user, PARIS));
  const off = await ok(await write("PATCH", user, { enabled: false }));
  assert.deepEqual(off.reconcile.deleted.length, 3);
  assert.deepEqual(
    (await schedulesOf(qstashClient(suite.stack), user)).size,
    0,
  );
  const on = await ok(await write("PATCH", user, { enabled: true }));
  assert.deepEqual(on.reconcile.created.length, 3);
  await expectQStashMatches(user);
});

test("a timezone change rewrites every schedule's cron", async () => {
  const user = newUser();
  await ok(await write("PUT", user, PARIS));
  const result = await ok(
    await write("PATCH", user, { timezone: "America/New_York" }),
  );
  assert.deepEqual(result.reconcile.updated.length, 3);
  const held = await schedulesOf(qstashClient(suite.stack), user);
  for (const s of held.values()) {
    assert.ok(s.cron.startsWith("CRON_TZ=America/New_York "));
  }
});

test("GET returns defaults before anything is saved", async () => {
  const res = await suite.stack.admin(`/v1/users/${newUser()}/preferences`);
  assert.deepEqual(res.status, 200);
  const body = await read(res, preferencesView);
  assert.deepEqual(body.version, 0);
  assert.deepEqual(body.preferences.timezone, "UTC");
  assert.ok("morningDigest" in body.preferences.types);
});

const INVALID: [string, unknown, string][] = [
  ["a time out of range", {
    ...PARIS,
    types: { taskReminder: { enabled: true, times: ["25:61"] } },
  }, "types.taskReminder.times[0]"],
  ["an unknown zone", { ...PARIS, timezone: "Mars/Olympus" }, "timezone"],
  ["an unknown type", {
    ...PARIS,
    types: { fooBar: { enabled: true, times: ["09:00"] } },
  }, "types"],
  ["empty times", {
    ...PARIS,
    types: { taskReminder: { enabled: true, times: [] } },
  }, "types.taskReminder.times"],
  ["duplicate times", {
    ...PARIS,
    types: { taskReminder: { enabled: true, times: ["09:00", "09:00"] } },
  }, "types.taskReminder.times"],
  ["an unknown field", { ...PARIS, colour: "blue" }, ""],
  ["a wrong type", { ...PARIS, enabled: "yes" }, "enabled"],
];

for (const [what, body, field] of INVALID) {
  test(`PUT with ${what} is a 400 naming the field, and changes nothing`, async () => {
    const user = newUser();
    await ok(await write("PUT", user, PARIS));
    const calls = await qstashCalls(suite.stack);
    const res = await write("PUT", user, body);
    assert.deepEqual(res.status, 400);
    const { error } = await read(res, errorBody);
    assert.deepEqual(error.code, "validation_failed");
    assert.ok(error.requestId.length > 0);
    assert.ok(
      error.fields?.some((f) => f.path.startsWith(field)),
      JSON.stringify(error),
    );
    if (field) assert.ok(error.message.includes(field), error.message);
    const view = await read(
      await suite.stack.admin(
        `/v1/users/${encodeURIComponent(user)}/preferences`,
      ),
      preferencesView,
    );
    assert.deepEqual(view.version, 1);
    assert.deepEqual(await qstashCalls(suite.stack), calls);
  });
}

test("malformed JSON and oversized bodies are refused", async () => {
  const user = newUser();
  const bad = await write("PUT", user, "{not json");
  assert.deepEqual(bad.status, 400);
  assert.deepEqual((await read(bad, errorBody)).error.code, "bad_request");
  const huge = await write("PUT", user, { ...PARIS, pad: "x".repeat(70_000) });
  assert.deepEqual(huge.status, 413);
  assert.deepEqual(
    (await read(huge, errorBody)).error.code,
    "payload_too_large",
  );
  const view = await read(
    await suite.stack.admin(`/v1/users/${user}/preferences`),
    preferencesView,
  );
  assert.deepEqual(view.version, 0);
});

test("a user token reads and writes only its own preferences", async () => {
  const user = newUser();
  const token = await suite.stack.userToken(user);
  assert.deepEqual(
    (await ok(await write("PUT", user, PARIS, token))).version,
    1,
  );
  const other = await write("PUT", newUser(), PARIS, token);
  assert.deepEqual(other.status, 403);
  await other.body?.cancel();
  const none = await fetch(`${suite.stack.url}/v1/users/${user}/preferences`);
  assert.deepEqual(none.status, 401);
  await none.body?.cancel();
  const forged = await write("PUT", user, PARIS, token.slice(0, -2) + "xx");
  assert.deepEqual(forged.status, 401);
  await forged.body?.cancel();
});

test("with QStash down a write is saved as pending, then converges", async () => {
  const user = newUser();
  await suite.stack.standIns.faults.qstash.down();
  let result: WriteResult;
  try {
    result = await ok(await write("PUT", user, PARIS));
  } finally {
    await suite.stack.standIns.faults.qstash.up();
  }
  assert.deepEqual(result.version, 1);
  assert.deepEqual(result.reconcile.status, "pending");
  const saved = await read(
    await suite.stack.admin(
      `/v1/users/${encodeURIComponent(user)}/preferences`,
    ),
    preferencesView,
  );
  assert.deepEqual(saved.preferences.timezone, "Europe/Paris");
  assert.deepEqual(saved.sync.status, "pending");
  // The retry is due later; a write for the same user also converges it.
  const again = await ok(await write("PATCH", user, {}));
  assert.deepEqual(again.reconcile.status, "synced");
  const view = await expectQStashMatches(user);
  assert.deepEqual(view.sync.status, "synced");
});

test("the cron trigger retries a pending reconcile once it is due", async () => {
  const user = newUser();
  await suite.stack.standIns.faults.qstash.down();
  try {
    assert.deepEqual(
      (await ok(await write("PUT", user, PARIS))).reconcile.status,
      "pending",
    );
  } finally {
    await suite.stack.standIns.faults.qstash.up();
  }
  await suite.stack.runCron(); // not due yet: the first retry waits 5 s
  assert.deepEqual(
    (await schedulesOf(qstashClient(suite.stack), user)).size,
    0,
  );
  await advanceClock(suite.stack, 5_100);
  await suite.stack.runCron();
  const view = await expectQStashMatches(user);
  assert.deepEqual(view.sync.status, "synced");
});

test("50 concurrent PATCHes leave exactly the last version's schedules", async () => {
  const user = newUser();
  await ok(await write("PUT", user, PARIS));
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      write("PATCH", user, {
        types: {
          taskReminder: {
            times: [
              `${String(10 + (i % 10)).padStart(2, "0")}:${
                String(i).padStart(2, "0")
              }`,
            ],
          },
        },
      }).then(ok)),
  );
  const versions = results.map((r) => r.version).sort((a, b) => a - b);
  assert.deepEqual(
    new Set(versions).size,
    50,
    "every PATCH saved its own version",
  );
  const view = await expectQStashMatches(user);
  assert.deepEqual(view.version, 51);
  assert.deepEqual(view.sync.status, "synced");
  assert.deepEqual(view.sync.syncedVersion, 51);
  assert.notDeepEqual(view.preferences.types.taskReminder.times, [
    "14:00",
    "17:30",
  ]);
});

suite.run();
