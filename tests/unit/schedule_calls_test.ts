import assert from "node:assert/strict";
import {
  type DesiredSchedule,
  scheduleIdFor,
} from "../../src/domain/schedules/schedule_plan.ts";
import {
  callScheduler,
  changesOf,
  ledgerWrites,
  type ScheduleCallsInput,
} from "../../src/services/preferences/schedule_calls.ts";
import { SchedulerError } from "../../src/ports/scheduler.ts";
import { heldSchedulesOf } from "../../src/store/schedules/schedule_ledger.ts";
import { type ServiceDeps, startServiceDeps } from "../support/service_deps.ts";

// callScheduler(): the per-user placement's QStash calls for one round,
// over the in-memory scheduler port.

const at = (time: string, cron = `CRON_TZ=UTC 0 ${time.slice(0, 2)} * * *`) =>
  ({
    id: scheduleIdFor("ada", "morningDigest", time),
    userId: "ada",
    type: "morningDigest",
    localTime: time,
    cron,
    destination: "https://herald.example/v1/qstash/callback",
    body: "{}",
  }) satisfies DesiredSchedule;

const held = (s: DesiredSchedule, paused = false) => ({
  id: s.id,
  cron: s.cron,
  destination: s.destination,
  body: s.body,
  paused,
});

async function withDeps(fn: (s: ServiceDeps) => Promise<void>) {
  const s = await startServiceDeps({ placement: "per-user" });
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

function input(
  s: ServiceDeps,
  more: Partial<ScheduleCallsInput>,
): ScheduleCallsInput {
  return {
    ctx: s.ctx,
    userId: "ada",
    desired: [],
    held: [],
    heldIsTruth: false,
    runningAtStart: true,
    ...more,
  };
}

Deno.test("callScheduler() creates what is new, updates what differs, deletes what went and leaves the rest alone", async () => {
  await withDeps(async (s) => {
    const [six, seven, eight, nine] = ["06:00", "07:00", "08:00", "09:00"]
      .map((t) => at(t));
    if (!six || !seven || !eight || !nine) throw new Error("four schedules");
    const moved = { ...eight, cron: "CRON_TZ=UTC 30 8 * * *" };
    const calls = await callScheduler(input(s, {
      desired: [seven, moved, nine],
      held: [held(six), held(eight), held(nine)],
    }));
    assert.equal(calls.failure, null);
    assert.deepEqual(changesOf(calls), {
      created: [seven.id],
      updated: [eight.id],
      deleted: [six.id],
      unchanged: [nine.id],
    });
    assert.deepEqual(s.scheduler.callsOf("deleteSchedule"), [six.id]);
    assert.deepEqual(s.scheduler.callsOf("upsertSchedule").toSorted(), [
      seven.id,
      eight.id,
    ]);
    assert.equal(s.scheduler.schedules.get(eight.id)?.cron, moved.cron);
  });
});

Deno.test("callScheduler() answers a refused call with the calls confirmed before it, and starts none after it", async () => {
  await withDeps(async (s) => {
    const desired = ["06:00", "07:00", "08:00", "09:00", "10:00", "11:00"]
      .map((t) => at(t));
    const first = desired[0];
    if (!first) throw new Error("six schedules");
    s.scheduler.fail({ method: "upsertSchedule", id: first.id, status: 429 });
    const calls = await callScheduler(input(s, { desired }));
    assert.ok(calls.failure?.error instanceof SchedulerError);
    assert.equal(calls.failure.error.status, 429);
    // Four at once: the three beside the refused one finish; two never start.
    assert.equal(s.scheduler.callsOf("upsertSchedule").length, 4);
    assert.deepEqual(
      calls.confirmed.map((c) => c.kind === "deleted" ? c.id : c.schedule.id),
      desired.slice(1, 4).map((d) => d.id),
    );
    assert.deepEqual(changesOf(calls).unchanged, [], "a cut round claims none");
  });
});

Deno.test("callScheduler() makes at most four calls at once", async () => {
  await withDeps(async (s) => {
    const desired = Array.from(
      { length: 10 },
      (_, i) => at(`${String(i + 10)}:00`),
    );
    const calls = await callScheduler(input(s, { desired }));
    assert.equal(calls.confirmed.length, 10);
    assert.equal(s.scheduler.maxInFlight, 4);
  });
});

Deno.test("callScheduler() pauses what it writes while the scheduler is stopped", async () => {
  await withDeps(async (s) => {
    const seven = at("07:00");
    const calls = await callScheduler(
      input(s, { desired: [seven], runningAtStart: false }),
    );
    assert.deepEqual(calls.confirmed, [{
      kind: "created",
      schedule: seven,
      paused: true,
      at: s.clock.now,
    }]);
    assert.equal(s.scheduler.schedules.get(seven.id)?.paused, true);
  });
});

Deno.test("callScheduler() tracks a kept schedule's paused state: with the ledger only a paused one, with QStash's answer every one", async () => {
  await withDeps(async (s) => {
    const seven = at("07:00");
    const eight = at("08:00");
    const fromLedger = await callScheduler(input(s, {
      desired: [seven, eight],
      held: [held(seven, true), held(eight)],
    }));
    assert.equal(fromLedger.pauses.pausedOf(seven.id), true);
    assert.equal(fromLedger.pauses.pausedOf(eight.id), undefined);
    assert.equal(fromLedger.pauses.needsMove(true), true);

    const fromQStash = await callScheduler(input(s, {
      desired: [seven, eight],
      held: [held(seven), held(eight)],
      heldIsTruth: true,
    }));
    assert.equal(fromQStash.pauses.pausedOf(eight.id), false);
    assert.equal(fromQStash.pauses.needsMove(true), false);
    assert.equal(s.scheduler.calls.length, 0, "nothing to call for either");
  });
});

Deno.test("ledgerWrites() record each confirmed create and forget each confirmed delete", async () => {
  await withDeps(async (s) => {
    const six = at("06:00");
    const seven = at("07:00");
    const writes = ledgerWrites(s.ctx.db, [
      { kind: "created", schedule: six, paused: false, at: 1 },
      { kind: "created", schedule: seven, paused: true, at: 1 },
    ]);
    const [first, ...rest] = writes;
    if (!first) throw new Error("two writes");
    await s.ctx.db.batch([first, ...rest]);
    const [forget] = ledgerWrites(s.ctx.db, [{ kind: "deleted", id: six.id }]);
    if (!forget) throw new Error("one write");
    await s.ctx.db.batch([forget]);
    assert.deepEqual(
      (await heldSchedulesOf(s.ctx.db, "ada")).map((h) => [h.id, h.paused]),
      [[seven.id, true]],
    );
  });
});
