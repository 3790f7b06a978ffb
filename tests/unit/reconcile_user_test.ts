import assert from "node:assert/strict";
import { scheduleIdFor } from "../../src/domain/schedules/schedule_plan.ts";
import {
  membershipId,
  slotScheduleId,
} from "../../src/domain/schedules/slot_plan.ts";
import { reconcileUser } from "../../src/services/preferences/reconcile_user.ts";
import { preferencesPutSchema } from "../../src/domain/preferences/preferences.ts";
import { updatePreferences } from "../../src/services/preferences/update_preferences.ts";
import { writeSchedulerRunning } from "../../src/store/control/scheduler_state_store.ts";
import { heldSchedulesOf } from "../../src/store/schedules/schedule_ledger.ts";
import { membersOfUserQuery } from "../../src/store/schedules/slot_store.ts";
import { schema } from "../../src/store/database.ts";
import { eq } from "drizzle-orm";
import type { Placement } from "../support/suite.ts";
import { type ServiceDeps, startServiceDeps } from "../support/service_deps.ts";

// reconcileUser() as a whole, over the in-memory scheduler: what it asks of
// QStash, what it answers, and what it leaves in libSQL.

const digestAt = (...times: string[]) => ({
  enabled: true,
  timezone: "UTC",
  types: { morningDigest: { enabled: true, times } },
});

async function withDeps(
  placement: Placement,
  fn: (s: ServiceDeps) => Promise<void>,
): Promise<void> {
  const s = await startServiceDeps({ placement });
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

function save(s: ServiceDeps, userId: string, put: unknown) {
  return updatePreferences({
    ctx: s.ctx,
    userId,
    update: { mode: "replace", put: preferencesPutSchema.parse(put) },
  });
}

async function syncRow(s: ServiceDeps, userId: string) {
  const [row] = await s.ctx.db.select({
    status: schema.preferences.syncStatus,
    error: schema.preferences.syncError,
    nextSyncAt: schema.preferences.nextSyncAt,
    leaseId: schema.preferences.leaseId,
  }).from(schema.preferences).where(eq(schema.preferences.userId, userId));
  return row;
}

const digest = (userId: string, time: string) =>
  scheduleIdFor(userId, "morningDigest", time);

Deno.test("reconcileUser() per user: a write creates one schedule per time, records each in the ledger and answers synced", async () => {
  await withDeps("per-user", async (s) => {
    const saved = await save(s, "ada", digestAt("07:00", "08:00"));
    const ids = [digest("ada", "07:00"), digest("ada", "08:00")];
    assert.deepEqual(saved.reconcile, {
      status: "synced",
      created: ids,
      updated: [],
      deleted: [],
      unchanged: [],
    });
    assert.deepEqual([...s.scheduler.schedules.keys()].sort(), ids);
    const ledger = await heldSchedulesOf(s.ctx.db, "ada");
    assert.deepEqual(ledger.map((h) => [h.id, h.paused]), [
      [ids[0], false],
      [ids[1], false],
    ]);
    assert.equal((await syncRow(s, "ada"))?.status, "synced");
  });
});

Deno.test("reconcileUser() per user: a user already in step is all unchanged and calls QStash not at all", async () => {
  await withDeps("per-user", async (s) => {
    await save(s, "ada", digestAt("07:00"));
    const before = s.scheduler.calls.length;
    const outcome = await reconcileUser({ ctx: s.ctx, userId: "ada" });
    assert.deepEqual(outcome, {
      status: "synced",
      created: [],
      updated: [],
      deleted: [],
      unchanged: [digest("ada", "07:00")],
    });
    assert.equal(s.scheduler.calls.length, before);
  });
});

Deno.test("reconcileUser() per user: a moved time deletes the old schedule and creates the new one", async () => {
  await withDeps("per-user", async (s) => {
    await save(s, "ada", digestAt("07:00", "09:00"));
    const moved = await save(s, "ada", digestAt("08:00", "09:00"));
    assert.deepEqual(moved.reconcile, {
      status: "synced",
      created: [digest("ada", "08:00")],
      updated: [],
      deleted: [digest("ada", "07:00")],
      unchanged: [digest("ada", "09:00")],
    });
    assert.deepEqual(
      (await heldSchedulesOf(s.ctx.db, "ada")).map((h) => h.id),
      [digest("ada", "08:00"), digest("ada", "09:00")],
    );
  });
});

Deno.test("reconcileUser() per user: a refused call leaves the confirmed ones in the ledger and the user pending for 5 s", async () => {
  await withDeps("per-user", async (s) => {
    const failing = digest("ada", "07:00");
    s.scheduler.fail({ method: "upsertSchedule", id: failing });
    const saved = await save(s, "ada", digestAt("07:00", "08:00", "09:00"));
    assert.equal(saved.reconcile.status, "pending");
    assert.equal(saved.reconcile.reason, "scheduler_unavailable");
    assert.deepEqual(saved.reconcile.created.toSorted(), [
      digest("ada", "08:00"),
      digest("ada", "09:00"),
    ]);
    assert.deepEqual(
      (await heldSchedulesOf(s.ctx.db, "ada")).map((h) => h.id),
      [digest("ada", "08:00"), digest("ada", "09:00")],
    );
    const row = await syncRow(s, "ada");
    assert.equal(row?.status, "pending");
    assert.equal(row?.leaseId, null);
    assert.equal(row?.error, "QStash answered 503");
    assert.equal(row?.nextSyncAt, s.clock.now + 5_000);

    s.scheduler.heal();
    const retried = await reconcileUser({ ctx: s.ctx, userId: "ada" });
    assert.equal(retried.status, "synced");
    assert.deepEqual(retried.created, [failing]);
    assert.deepEqual(retried.unchanged, [
      digest("ada", "08:00"),
      digest("ada", "09:00"),
    ]);
  });
});

Deno.test("reconcileUser() per user: a second failure in a row waits twice as long", async () => {
  await withDeps("per-user", async (s) => {
    s.scheduler.fail({ method: "upsertSchedule" });
    await save(s, "ada", digestAt("07:00"));
    const again = await reconcileUser({ ctx: s.ctx, userId: "ada" });
    assert.equal(again.reason, "scheduler_unavailable");
    assert.equal((await syncRow(s, "ada"))?.nextSyncAt, s.clock.now + 10_000);
  });
});

Deno.test("reconcileUser() per user: QStash is asked at most four calls at once", async () => {
  await withDeps("per-user", async (s) => {
    const times = ["06:00", "07:00", "08:00", "09:00", "10:00", "11:00"];
    const saved = await save(s, "ada", digestAt(...times));
    assert.equal(saved.reconcile.created.length, times.length);
    assert.equal(s.scheduler.maxInFlight, 4);
  });
});

Deno.test("reconcileUser() per user: a schedule written while the scheduler is stopped is paused, in QStash and the ledger", async () => {
  await withDeps("per-user", async (s) => {
    await writeSchedulerRunning(s.ctx.db, false, s.clock.now);
    await save(s, "ada", digestAt("07:00"));
    const id = digest("ada", "07:00");
    assert.deepEqual(s.scheduler.callsOf("pauseSchedule"), [id]);
    assert.equal(s.scheduler.schedules.get(id)?.paused, true);
    assert.deepEqual(
      (await heldSchedulesOf(s.ctx.db, "ada")).map((h) => h.paused),
      [true],
    );
  });
});

Deno.test("reconcileUser() with QStash's own answer as the truth resumes a kept schedule paused by mistake", async () => {
  await withDeps("per-user", async (s) => {
    await save(s, "ada", digestAt("07:00"));
    const id = digest("ada", "07:00");
    await s.ctx.scheduler.pauseSchedule(id);
    const held = await s.ctx.scheduler.listSchedules();
    const outcome = await reconcileUser({
      ctx: s.ctx,
      userId: "ada",
      opts: { held },
    });
    assert.equal(outcome.status, "synced");
    assert.deepEqual(outcome.unchanged, [id]);
    assert.deepEqual(s.scheduler.callsOf("resumeSchedule"), [id]);
    assert.equal(s.scheduler.schedules.get(id)?.paused, false);
  });
});

Deno.test("reconcileUser() answers in_progress and calls nothing while another holder has the lease", async () => {
  await withDeps("per-user", async (s) => {
    s.scheduler.fail({ method: "upsertSchedule" });
    await save(s, "ada", digestAt("07:00"));
    s.scheduler.heal();
    await s.ctx.db.update(schema.preferences).set({
      leaseId: "someone-else",
      leaseUntil: s.clock.now + 30_000,
    }).where(eq(schema.preferences.userId, "ada"));
    const before = s.scheduler.calls.length;
    const outcome = await reconcileUser({ ctx: s.ctx, userId: "ada" });
    assert.deepEqual(outcome, {
      status: "pending",
      created: [],
      updated: [],
      deleted: [],
      unchanged: [],
      reason: "in_progress",
    });
    assert.equal(s.scheduler.calls.length, before);
  });
});

Deno.test("reconcileUser() in slots: a write joins the slot's members and makes the slot's one schedule", async () => {
  await withDeps("slots", async (s) => {
    const saved = await save(s, "ada", digestAt("09:30"));
    const member = membershipId({
      userId: "ada",
      type: "morningDigest",
      localTime: "09:30",
    });
    assert.deepEqual(saved.reconcile, {
      status: "synced",
      created: [member],
      updated: [],
      deleted: [],
      unchanged: [],
    });
    assert.deepEqual([...s.scheduler.schedules.keys()], [
      slotScheduleId("0930"),
    ]);
    const members = await membersOfUserQuery(s.ctx.db, "ada");
    assert.deepEqual(members.map((m) => [m.id, m.slot]), [[member, "0930"]]);
  });
});

Deno.test("reconcileUser() in slots: a slot QStash refuses keeps the members and leaves the user pending", async () => {
  await withDeps("slots", async (s) => {
    s.scheduler.fail({ method: "upsertSchedule" });
    const saved = await save(s, "ada", digestAt("09:30"));
    assert.equal(saved.reconcile.status, "pending");
    assert.equal(saved.reconcile.reason, "scheduler_unavailable");
    assert.equal((await membersOfUserQuery(s.ctx.db, "ada")).length, 1);
    const row = await syncRow(s, "ada");
    assert.equal(row?.status, "pending");
    assert.equal(row?.nextSyncAt, s.clock.now + 5_000);

    s.scheduler.heal();
    const retried = await reconcileUser({ ctx: s.ctx, userId: "ada" });
    assert.equal(retried.status, "synced");
    assert.ok(s.scheduler.schedules.has(slotScheduleId("0930")));
  });
});
