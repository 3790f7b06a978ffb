import assert from "node:assert/strict";
import {
  advanceClock,
  qstashCalls,
  qstashClient,
  schedulesOf,
} from "../support/qstash.ts";
import { expectScheduled, userJobs } from "../support/placement.ts";
import { integrationSuite } from "../support/suite.ts";
import {
  errorBody,
  preferencesView,
  read,
  type WriteResult,
  writeResult,
} from "../support/bodies.ts";

const suite = integrationSuite("preferences and per-user reconciliation", {
  placements: ["slots", "per-user"],
});
const test = suite.test;
let nextUser = 0;
const newUser = () => `pref-user-${++nextUser}@example.com`;
/** Each call a local time nobody else in the suite has (a new slot). */
let nextLonely = 0;
const lonelyTime = () => `05:${String(++nextLonely).padStart(2, "0")}`;

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

function expectQStashMatches(userId: string) {
  return expectScheduled(suite.stack, suite.placement, userId);
}

/** A user's jobs as "cron @ zone", sorted: the same in both placements. */
async function triggersOf(userId: string): Promise<string[]> {
  return [...(await userJobs(suite.stack, userId)).values()]
    .map((job) =>
      job.trigger.type === "cron"
        ? `${job.trigger.cron} @ ${job.trigger.timezone}`
        : job.trigger.every
    ).sort();
}

test("PUT saves preferences and schedules one job per type and time", async () => {
  const user = newUser();
  const result = await ok(await write("PUT", user, PARIS));
  assert.deepEqual(result.version, 1);
  assert.deepEqual(result.reconcile.status, "synced");
  assert.deepEqual(result.reconcile.created.length, 3);
  assert.deepEqual(result.preferences.types.eveningSummary?.enabled, false);
  // The task reminder names no days: it keeps its default, Monday to Friday.
  assert.deepEqual(await triggersOf(user), [
    "0 14 * * 1,2,3,4,5 @ Europe/Paris",
    "30 17 * * 1,2,3,4,5 @ Europe/Paris",
    "30 9 * * 1,2,3,4,5 @ Europe/Paris",
  ]);
  await expectQStashMatches(user);
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
  const jobs = await userJobs(suite.stack, user);
  assert.ok(!jobs.has(result.reconcile.deleted[0]!));
  assert.deepEqual(jobs.get(result.reconcile.created[0]!)?.trigger, {
    type: "cron",
    cron: "0 18 * * 1,2,3,4,5",
    timezone: "Europe/Paris",
  });
  if (suite.placement === "per-user") {
    // Untouched schedules are the very same objects QStash created first.
    const after = await schedulesOf(qstashClient(suite.stack), user);
    for (const id of result.reconcile.unchanged) {
      assert.deepEqual(after.get(id)?.createdAt, before.get(id)?.createdAt);
      assert.deepEqual(after.get(id)?.cron, before.get(id)?.cron);
    }
  }
  await expectQStashMatches(user);
});

test("changing the days of a type updates its schedule in place (per-user) or nothing at all (slots)", async () => {
  const user = newUser();
  await ok(await write("PUT", user, PARIS));
  const calls = await qstashCalls(suite.stack);
  const result = await ok(
    await write("PATCH", user, {
      types: { morningDigest: { days: ["sat", "sun"] } },
    }),
  );
  assert.deepEqual(result.reconcile.created, []);
  assert.deepEqual(result.reconcile.deleted, []);
  if (suite.placement === "per-user") {
    assert.deepEqual(result.reconcile.updated.length, 1);
  } else {
    // A slot fires every day and asks each member about its days.
    assert.deepEqual(result.reconcile.updated, []);
    assert.deepEqual(await qstashCalls(suite.stack), calls);
  }
  assert.ok((await triggersOf(user)).includes("30 9 * * 0,6 @ Europe/Paris"));
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
  assert.deepEqual((await userJobs(suite.stack, user)).size, 0);
  await expectQStashMatches(user);
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
  for (const trigger of await triggersOf(user)) {
    assert.match(trigger, / @ America\/New_York$/);
  }
  await expectQStashMatches(user);
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
  // Raw JSON: in a JS object literal "__proto__" would set the prototype.
  [
    "a __proto__ type",
    `{"enabled":true,"timezone":"UTC","types":{"__proto__":{"enabled":true,"times":["09:00"]},"taskReminder":{"enabled":true,"times":["10:00"]}}}`,
    "types.__proto__",
  ],
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

test("a PATCH naming __proto__ anywhere is refused like an unknown field, and changes nothing", async () => {
  const user = newUser();
  await ok(await write("PUT", user, PARIS));
  const cases: [body: string, field: string][] = [
    ['{"types":{"__proto__":{"enabled":false}}}', "types.__proto__"],
    ['{"__proto__":{"enabled":false}}', "__proto__"],
    [
      '{"quietHours":{"__proto__":{},"start":"22:00","end":"07:00"}}',
      "quietHours.__proto__",
    ],
  ];
  for (const [body, field] of cases) {
    const res = await write("PATCH", user, body);
    assert.equal(res.status, 400, body);
    const { error } = await read(res, errorBody);
    assert.equal(error.code, "validation_failed");
    assert.deepEqual(error.fields?.map((f) => f.path), [field]);
  }
  const view = await read(
    await suite.stack.admin(`/v1/users/${user}/preferences`),
    preferencesView,
  );
  assert.equal(view.version, 1);
});

test("a body not sent as JSON is refused with 415 saying what to send, and changes nothing", async () => {
  const user = newUser();
  await ok(await write("PUT", user, PARIS));
  const patch = JSON.stringify({ enabled: false });
  const form = new FormData();
  form.set("enabled", "false");
  for (
    const init of [
      { body: patch }, // fetch sends a string as text/plain
      { body: patch, headers: { "content-type": "" } },
      { body: new URLSearchParams({ enabled: "false" }) },
      { body: form },
    ]
  ) {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${suite.stack.apiKey}`);
    const res = await fetch(`${suite.stack.url}/v1/users/${user}/preferences`, {
      method: "PATCH",
      body: init.body,
      headers,
    });
    assert.equal(res.status, 415);
    const { error } = await read(res, errorBody);
    assert.equal(error.code, "unsupported_media_type");
    assert.match(error.message, /Content-Type: application\/json/);
  }
  const view = await read(
    await suite.stack.admin(`/v1/users/${user}/preferences`),
    preferencesView,
  );
  assert.equal(view.version, 1);
  assert.equal(view.preferences.enabled, true);
});

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

/** Paris, at a time of its own: under slots, a slot only this user is in. */
function lonelyParis() {
  return {
    ...PARIS,
    types: { taskReminder: { enabled: true, times: [lonelyTime()] } },
  };
}

test("with QStash down a write is saved as pending, then converges", async () => {
  const user = newUser();
  await suite.stack.standIns.faults.qstash.down();
  let result: WriteResult;
  try {
    result = await ok(await write("PUT", user, lonelyParis()));
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
      (await ok(await write("PUT", user, lonelyParis()))).reconcile.status,
      "pending",
    );
  } finally {
    await suite.stack.standIns.faults.qstash.up();
  }
  await suite.stack.runCron(); // not due yet: the first retry waits 5 s
  assert.equal(
    (await read(
      await suite.stack.admin(`/v1/users/${user}/preferences`),
      preferencesView,
    )).sync.status,
    "pending",
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
  assert.notDeepEqual(view.preferences.types.taskReminder?.times, [
    "14:00",
    "17:30",
  ]);
});

suite.run();
