import assert from "node:assert/strict";
import { errorBody, healthBody, read, writeResult } from "../support/bodies.ts";
import { createClient } from "@libsql/client/web";
import { qstashClient } from "../support/qstash.ts";
import { integrationSuite } from "../support/suite.ts";
import {
  assertUnavailable,
  converged,
  preferencesNo,
  restartCleansUp,
  storedView,
  writePreferences,
} from "./fixtures/fault_writes.ts";

/**
 * Herald against a libSQL that fails a share of calls, answers slowly, or
 * is gone and back: every route answers 503 naming the database (bad input
 * still gets its 4xx), a write either answered 2xx and is stored or
 * answered 503 and is not, and whatever was saved converges.
 */
const suite = integrationSuite("Herald with libSQL failing, slow or gone", {
  vars: {
    // Short enough for a test to see a timeout; far above a healthy call.
    LIBSQL_TIMEOUT_MS: "5000",
    // convergence() reads per-user schedules (where the shared-slot
    // placement exists, it is not the one these cases check).
    SCHEDULE_PLACEMENT: "per-user",
  },
});
const { test } = suite;
let n = 0;
const newUser = () => `db-fault-${++n}`;

const ROUTES: [string, string, unknown?][] = [
  ["GET", "/v1/users/someone/preferences"],
  ["PUT", "/v1/users/someone/preferences", preferencesNo(1)],
  ["PATCH", "/v1/users/someone/preferences", { enabled: false }],
  ["GET", "/v1/users/someone/notifications"],
  ["GET", "/v1/users/someone/notifications/count"],
  ["POST", "/v1/users/someone/notifications/read-all"],
  ["POST", "/v1/notifications", {
    userId: "someone",
    type: "orders.new",
    title: "t",
  }],
  ["GET", "/v1/scheduler/status"],
  ["GET", "/v1/scheduler/users-count"],
  ["GET", "/v1/scheduler/jobs"],
  ["GET", "/v1/scheduler/drift?userId=someone"],
  ["POST", "/v1/scheduler/users/someone/reconcile"],
  ["GET", "/metrics"],
];

function call(method: string, path: string, body?: unknown) {
  return suite.stack.admin(path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

test("with libSQL down every route answers 503 naming it, with Retry-After", async () => {
  const libsql = suite.stack.standIns.faults.libsql;
  await libsql.down();
  try {
    for (const [method, path, body] of ROUTES) {
      await assertUnavailable(
        await call(method, path, body),
        /libSQL/,
        `${method} ${path}`,
      );
    }
  } finally {
    await libsql.up();
  }
});

test("with libSQL down bad input still gets its 4xx, and health names libSQL", async () => {
  const libsql = suite.stack.standIns.faults.libsql;
  await libsql.down();
  try {
    const bad = await call("PUT", "/v1/users/someone/preferences", {
      timezone: "Mars/Olympus",
    });
    assert.equal(bad.status, 400);
    assert.equal((await read(bad, errorBody)).error.code, "validation_failed");
    const anonymous = await fetch(
      `${suite.stack.url}/v1/users/someone/preferences`,
    );
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();

    const res = await fetch(`${suite.stack.url}/health`);
    assert.equal(res.status, 503);
    const health = await read(res, healthBody);
    assert.equal(health.status, "down");
    assert.equal(health.checks.libsql.ok, false);
    assert.equal(health.checks.libsql.error, "unreachable");
    assert.equal(health.checks.qstash.ok, true);
    assert.equal(health.checks.redis.ok, true);
  } finally {
    await libsql.up();
  }
  const again = await read(
    await fetch(`${suite.stack.url}/health`),
    healthBody,
  );
  assert.equal(again.status, "ok");
});

test("a write during a libSQL outage answers 503 and changes nothing; repeated after it, it is saved", async () => {
  const user = newUser();
  const first = await writePreferences(
    suite.stack,
    "PUT",
    user,
    preferencesNo(1),
  );
  assert.equal(first.status, 200);
  await first.body?.cancel();
  const libsql = suite.stack.standIns.faults.libsql;
  await libsql.down();
  try {
    await assertUnavailable(
      await writePreferences(suite.stack, "PUT", user, preferencesNo(2)),
      /libSQL/,
      "PUT during the outage",
    );
  } finally {
    await libsql.up();
  }
  const kept = await storedView(suite.stack, user);
  assert.equal(kept.version, 1);
  assert.deepEqual(kept.preferences.types.taskReminder?.times, ["08:01"]);
  const repeated = await read(
    await writePreferences(suite.stack, "PUT", user, preferencesNo(2)),
    writeResult,
  );
  assert.equal(repeated.version, 2);
  assert.deepEqual((await converged(suite.stack, [user])).orphans, []);
});

test("a reconcile cut off before its ledger write is finished by the cron trigger from QStash's own answer", async () => {
  const user = newUser();
  const saved = await read(
    await writePreferences(suite.stack, "PUT", user, preferencesNo(3)),
    writeResult,
  );
  const [kept] = saved.reconcile.created;
  assert.ok(kept);
  // The state such a cut leaves: QStash no longer holds a schedule the
  // ledger still lists (its delete went through, the ledger write did not),
  // and the user is still pending under a lease its holder never released.
  await qstashClient(suite.stack).schedules.delete(kept);
  const db = createClient({ url: suite.stack.standIns.libsqlUrl });
  try {
    await db.execute({
      sql: `update preferences set sync_status = 'pending', lease_id = 'gone',
            lease_until = 1, next_sync_at = null where user_id = ?`,
      args: [user],
    });
  } finally {
    db.close();
  }
  await suite.stack.runCron();
  const view = await storedView(suite.stack, user);
  assert.equal(view.sync.status, "synced");
  assert.deepEqual((await converged(suite.stack, [user])).orphans, []);
  const held = await qstashClient(suite.stack).schedules.get(kept);
  assert.equal(held.scheduleId, kept);
});

test("with libSQL failing a share of calls each write is stored exactly when it answered 2xx, and all converge", async () => {
  const users = [newUser(), newUser(), newUser(), newUser(), newUser()];
  const answered = new Map(users.map((u) => [u, { ok: 0, last: -1 }]));
  const libsql = suite.stack.standIns.faults.libsql;
  libsql.set({ fail: 0.3 });
  try {
    for (let round = 0; round < 6; round++) {
      for (const [i, user] of users.entries()) {
        const which = round * users.length + i;
        const res = await writePreferences(
          suite.stack,
          "PUT",
          user,
          preferencesNo(which),
        );
        await res.body?.cancel();
        assert.ok(res.status === 200 || res.status === 503, `${res.status}`);
        const seen = answered.get(user)!;
        if (res.status === 200) {
          answered.set(user, { ok: seen.ok + 1, last: which });
        }
      }
    }
  } finally {
    await libsql.clear();
  }
  for (const user of users) {
    const { ok, last } = answered.get(user)!;
    const view = await storedView(suite.stack, user);
    // One version per 2xx, none per 503: nothing was half-applied.
    assert.equal(view.version, ok, user);
    if (last >= 0) {
      assert.deepEqual(
        view.preferences.types.taskReminder?.times,
        preferencesNo(last).types.taskReminder.times,
        user,
      );
    }
  }
  // A reconcile cut between its QStash calls and the ledger write that
  // records them leaves QStash holding a schedule the ledger does not know
  // (README, "A database outage"): it notifies nobody, and restart, which
  // reads QStash's own list, deletes it.
  await converged(suite.stack, users);
  await restartCleansUp(suite.stack, users);
});

test("a slow libSQL makes a write slow, not wrong; one slower than the timeout is a 503", async () => {
  const user = newUser();
  const libsql = suite.stack.standIns.faults.libsql;
  libsql.set({ delay: 50 });
  try {
    const slow = await read(
      await writePreferences(suite.stack, "PUT", user, preferencesNo(3)),
      writeResult,
    );
    assert.equal(slow.reconcile.status, "synced");
    libsql.set({ delay: 5_500 });
    await assertUnavailable(
      await call("GET", `/v1/users/${user}/preferences`),
      /libSQL/,
      "GET slower than LIBSQL_TIMEOUT_MS",
    );
  } finally {
    await libsql.clear();
  }
  assert.equal((await storedView(suite.stack, user)).version, 1);
});

suite.run();
