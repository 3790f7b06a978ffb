import assert from "node:assert/strict";
import { healthBody, read, writeResult } from "../support/bodies.ts";
import { integrationSuite } from "../support/suite.ts";
import {
  assertUnavailable,
  converged,
  preferencesNo,
  storedView,
  writePreferences,
} from "./fixtures/fault_writes.ts";

/**
 * Herald against a QStash that fails a share of calls, answers slowly, or
 * is gone and back: preferences are always saved, health names QStash, the
 * admin routes that need it answer 503, and once QStash is back the cron
 * trigger brings every user to exactly what they saved.
 */
const suite = integrationSuite("Herald with QStash failing, slow or gone", {
  // convergence() reads per-user schedules (where the shared-slot placement
  // exists, it is not the one these cases check).
  vars: { SCHEDULE_PLACEMENT: "per-user" },
});
const { test } = suite;
let n = 0;
const newUser = () => `qstash-fault-${++n}`;

test("preferences saved while QStash is down are kept, and converge once it is back", async () => {
  const users = [newUser(), newUser(), newUser()];
  const qstash = suite.stack.standIns.faults.qstash;
  await qstash.down();
  try {
    for (const [i, user] of users.entries()) {
      const saved = await read(
        await writePreferences(suite.stack, "PUT", user, preferencesNo(i)),
        writeResult,
      );
      assert.equal(saved.version, 1);
      assert.equal(saved.reconcile.status, "pending");
      assert.equal(saved.reconcile.reason, "scheduler_unavailable");
    }
    const res = await fetch(`${suite.stack.url}/health`);
    assert.equal(res.status, 503);
    const health = await read(res, healthBody);
    assert.equal(health.checks.qstash.ok, false);
    assert.equal(health.checks.libsql.ok, true);
    await assertUnavailable(
      await suite.stack.admin(`/v1/scheduler/users/${users[0]}/reconcile`, {
        method: "POST",
      }),
      /QStash/,
      "drift repair during the outage",
    );
  } finally {
    await qstash.up();
  }
  for (const user of users) {
    assert.equal((await storedView(suite.stack, user)).sync.status, "pending");
  }
  assert.deepEqual((await converged(suite.stack, users)).orphans, []);
});

test("with QStash failing a share of calls every write is saved, and every user converges once it recovers", async () => {
  const users = [newUser(), newUser(), newUser(), newUser()];
  const qstash = suite.stack.standIns.faults.qstash;
  qstash.set({ fail: 0.3 });
  let pending = 0;
  try {
    for (let round = 0; round < 5; round++) {
      for (const [i, user] of users.entries()) {
        const which = 10 + round * users.length + i;
        const saved = await read(
          await writePreferences(
            suite.stack,
            "PUT",
            user,
            preferencesNo(which),
          ),
          writeResult,
        );
        if (saved.reconcile.status === "pending") pending++;
      }
    }
  } finally {
    await qstash.clear();
  }
  for (const [i, user] of users.entries()) {
    const view = await storedView(suite.stack, user);
    assert.equal(view.version, 5, user);
    assert.deepEqual(
      view.preferences.types.taskReminder?.times,
      preferencesNo(10 + 4 * users.length + i).types.taskReminder.times,
    );
  }
  assert.ok(pending > 0, "some reconciles met a failure");
  assert.deepEqual((await converged(suite.stack, users)).orphans, []);
});

test("a slow QStash makes a write slow, not pending", async () => {
  const user = newUser();
  const qstash = suite.stack.standIns.faults.qstash;
  qstash.set({ delay: 50 });
  try {
    const saved = await read(
      await writePreferences(suite.stack, "PUT", user, preferencesNo(40)),
      writeResult,
    );
    assert.equal(saved.reconcile.status, "synced");
  } finally {
    await qstash.clear();
  }
  assert.deepEqual((await converged(suite.stack, [user])).orphans, []);
});

suite.run();
