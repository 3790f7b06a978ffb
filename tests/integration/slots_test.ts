import assert from "node:assert/strict";
import { createClient } from "@libsql/client/web";
import { z } from "zod";
import { slotPageBody } from "../../src/domain/callbacks/callback_body.ts";
import { membershipId } from "../../src/domain/schedules/slot_plan.ts";
import { deliver, signedDelivery } from "../support/deliveries.ts";
import { advanceToNextRun, userJobs } from "../support/placement.ts";
import { advanceClock, qstashCalls } from "../support/qstash.ts";
import { statusBody } from "../support/scheduler_bodies.ts";
import { integrationSuite } from "../support/suite.ts";

/**
 * What only shared slots do: a firing pages through hundreds of members in
 * QStash messages, a page delivered twice doubles nothing, a member that
 * cannot be served is recorded without stopping the others, and QStash is
 * touched only when a slot gains its first member or loses its last.
 */
const suite = integrationSuite("shared time slots");
const { test } = suite;

const MEMBERS = 600; // three pages of 250
const users = Array.from(
  { length: MEMBERS },
  (_, i) => `slot-${String(i).padStart(4, "0")}`,
);

async function put(userId: string, body: unknown) {
  const res = await suite.stack.admin(`/v1/users/${userId}/preferences`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return z.object({
    reconcile: z.object({ status: z.string() }),
  }).parse(await res.json());
}

const at10 = {
  enabled: true,
  timezone: "UTC",
  types: {
    taskReminder: {
      enabled: true,
      times: ["10:00"],
      days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    },
  },
};

/** Notifications per user among `slot-*` users, counted in libSQL. */
async function notificationsPerUser(): Promise<Map<string, number>> {
  const db = createClient({ url: suite.stack.standIns.libsqlUrl });
  try {
    const rows = await db.execute(
      `select audience, count(*) as n from notification_audiences
         where audience like 'user:slot-%' group by audience`,
    );
    return new Map(rows.rows.map((r) => [String(r.audience), Number(r.n)]));
  } finally {
    db.close();
  }
}

const pageReport = z.object({
  members: z.number(),
  sent: z.number(),
  duplicates: z.number(),
  failed: z.number(),
  more: z.boolean(),
  firedAt: z.string(),
});

test("a firing pages through 600 members and each gets one notification; a page delivered again doubles nothing", async () => {
  for (let i = 0; i < users.length; i += 25) {
    await Promise.all(users.slice(i, i + 25).map((u) => put(u, at10)));
  }
  const { delivered } = await advanceToNextRun(suite.stack, users[0]!);
  const slotFirings = delivered.filter((d) => d.scheduleId === "herald.s.1000");
  assert.equal(slotFirings.length, 1);
  // The firing serves the first page and hands the other two to QStash.
  assert.ok(delivered.filter((d) => d.status === 200).length >= 3);
  const counts = await notificationsPerUser();
  assert.equal(counts.size, MEMBERS);
  assert.ok([...counts.values()].every((n) => n === 1));

  // The second page again, as QStash may deliver it twice.
  const ids = users.map((userId) =>
    membershipId({ userId, type: "taskReminder", localTime: "10:00" })
  ).sort();
  const firedAt = slotFirings[0]!.at;
  const again = await deliver(
    await signedDelivery(
      suite.stack,
      slotPageBody({ slot: "1000", firedAt, after: ids[249]! }),
    ),
    "msg_page_again",
  );
  assert.equal(again.status, 200);
  const report = pageReport.parse(await again.json());
  assert.deepEqual(
    [report.members, report.sent, report.duplicates, report.more],
    [250, 0, 250, true],
  );
  assert.deepEqual(await notificationsPerUser(), counts);
});

test("a member whose delivery fails is recorded, and the rest of the slot is served", async () => {
  const broken = "slot-9998";
  const fine = "slot-9999";
  const lonely = {
    ...at10,
    types: { taskReminder: { ...at10.types.taskReminder, times: ["11:11"] } },
  };
  await put(broken, lonely);
  await put(fine, lonely);
  const db = createClient({ url: suite.stack.standIns.libsqlUrl });
  try {
    // A row no reader understands (written behind Herald's back).
    await db.execute({
      sql: "update preferences set data = ? where user_id = ?",
      args: ['{"types":{"taskReminder":{"times":"never"}}}', broken],
    });
    const { delivered } = await advanceToNextRun(suite.stack, fine);
    assert.deepEqual(
      delivered.filter((d) => d.scheduleId === "herald.s.1111")
        .map((d) => d.status),
      [200],
    );
    const counts = await notificationsPerUser();
    assert.equal(counts.get(`user:${fine}`), 1);
    assert.equal(counts.get(`user:${broken}`), undefined);
    const failures = await db.execute(
      "select member_id, error from slot_failures where slot = '1111'",
    );
    assert.deepEqual(failures.rows.map((r) => [r.member_id, r.error]), [[
      membershipId({
        userId: broken,
        type: "taskReminder",
        localTime: "11:11",
      }),
      "unreadable preferences",
    ]]);
    // Scheduler status reads them back: the latest is this firing's.
    const status = statusBody.parse(
      await (await suite.stack.admin("/v1/scheduler/status?limit=1")).json(),
    );
    assert.ok(status.slotFailures.lastDay >= 1, JSON.stringify(status));
    assert.deepEqual(
      [status.slotFailures.latest?.slot, status.slotFailures.latest?.error],
      ["1111", "unreadable preferences"],
    );
  } finally {
    db.close();
  }
});

test("members inside quiet hours are deferred to the hours' end, once each, and the others are sent at once", async () => {
  const at1212 = {
    ...at10,
    types: { taskReminder: { ...at10.types.taskReminder, times: ["12:12"] } },
  };
  const awake = "slot-q-0";
  const quiet = ["slot-q-1", "slot-q-2", "slot-q-3"];
  await put(awake, at1212);
  for (const user of quiet) {
    await put(user, {
      ...at1212,
      quietHours: { start: "12:00", end: "13:00" },
    });
  }
  const { delivered } = await advanceToNextRun(suite.stack, awake);
  assert.deepEqual(
    delivered.filter((d) => d.scheduleId === "herald.s.1212")
      .map((d) => d.status),
    [200],
  );
  const mine = (counts: Map<string, number>) =>
    [awake, ...quiet].map((u) => counts.get(`user:${u}`) ?? 0);
  assert.deepEqual(mine(await notificationsPerUser()), [1, 0, 0, 0]);
  // The hours end at 13:00: QStash delivers the deferred ones then.
  await advanceClock(suite.stack, 60 * 60_000);
  assert.deepEqual(mine(await notificationsPerUser()), [1, 1, 1, 1]);
});

test("QStash is touched only when a slot gains its first member or loses its last", async () => {
  const at = (time: string) => ({
    ...at10,
    types: { taskReminder: { ...at10.types.taskReminder, times: [time] } },
  });
  const [a, b] = ["slot-first", "slot-second"];
  let calls = await qstashCalls(suite.stack);
  const since = async () => {
    const now = await qstashCalls(suite.stack);
    const n = now - calls;
    calls = now;
    return n;
  };
  await put(a, at("12:34"));
  assert.equal(await since(), 1, "a new slot: its schedule is created");
  await put(b, at("12:34"));
  assert.equal(await since(), 0, "the slot has members: nothing to do");
  await put(a, at("12:34"));
  assert.equal(await since(), 0, "a no-op");
  await put(a, at("12:35"));
  assert.equal(await since(), 1, "a changed time: one new slot, one kept");
  await put(b, at("12:36"));
  assert.equal(await since(), 2, "one slot gained, one lost its last");
  const jobs = await userJobs(suite.stack, b);
  assert.deepEqual([...jobs.values()].map((j) => j.slot), ["1236"]);
});

suite.run();
