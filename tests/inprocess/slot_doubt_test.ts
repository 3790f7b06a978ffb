import { startInProcessStack } from "./support/in_process_stack.ts";
import assert from "node:assert/strict";
import { slotScheduleId } from "../../src/domain/schedules/slot_plan.ts";
import type { SchedulerPort, ScheduleSpec } from "../../src/ports/scheduler.ts";
import { runMaintenance } from "../../src/services/ops/maintenance.ts";
import { allDrift } from "../../src/services/control/drift_report.ts";
import { writeSchedulerRunning } from "../../src/store/control/scheduler_state_store.ts";
import { read, writeResult } from "../support/bodies.ts";

/** Monday 5 January 2026, 06:00 UTC: before every time written below. */
const MONDAY_6AM = Date.UTC(2026, 0, 5, 6, 0);
/** Past every lease and the first reconcile retry. */
const LATER_MS = 61_000;

const digestAt = (time: string) => ({
  enabled: true,
  timezone: "UTC",
  types: { morningDigest: { enabled: true, times: [time] } },
});

type Stack = Awaited<ReturnType<typeof startInProcessStack>>;

/**
 * One maintenance sweep, then: QStash no longer holds `slot`, and the
 * global drift is clean. QStash's schedules are returned.
 */
async function sweptUntilClean(stack: Stack, slot: string) {
  await runMaintenance({ ctx: stack.ctx });
  await stack.settled();
  const held = await stack.qstash.schedules();
  assert.ok(!held.has(slot), `${slot} is still held: ${[...held.keys()]}`);
  const { summary } = await allDrift({ ctx: stack.ctx });
  assert.deepEqual(summary, {
    ...summary,
    missing: 0,
    unexpected: 0,
    different: 0,
  });
  return held;
}

/**
 * A QStash port that runs `after` once a schedule create went through, for
 * a test that must act between that call and whatever Herald does next.
 */
function afterCreate(
  after: (spec: ScheduleSpec) => Promise<void>,
): (real: SchedulerPort) => SchedulerPort {
  let armed = true;
  return (real) => ({
    ...real,
    async upsertSchedule(spec) {
      await real.upsertSchedule(spec);
      if (!armed) return;
      armed = false;
      await after(spec);
    },
  });
}

Deno.test("a slot whose QStash create went through but whose holder failed before its ledger write is deleted once it empties", async (t) => {
  const stack = await startInProcessStack({
    start: MONDAY_6AM,
    // QStash fails every call from the one after the create: the pause a
    // stopped scheduler makes next.
    wrapScheduler: afterCreate(() => {
      stack.qstash.faults.set({ fail: 1 });
      return Promise.resolve();
    }),
  });
  const put = (body: unknown) =>
    stack.request("/v1/users/ada/preferences", {
      method: "PUT",
      body: JSON.stringify(body),
    });
  const slot = slotScheduleId("0930");
  try {
    await writeSchedulerRunning(stack.deps.db, false, stack.clock.now);

    await t.step(
      "the create is made and its pause refused: the write is pending",
      async () => {
        const res = await put(digestAt("09:30"));
        assert.equal(res.status, 200, await res.clone().text());
        assert.equal(
          (await read(res, writeResult)).reconcile.status,
          "pending",
        );
        await stack.qstash.faults.clear();
        assert.ok((await stack.qstash.schedules()).has(slot));
      },
    );

    await t.step(
      "the slot empties while QStash is refusing, and the sweep deletes its schedule once QStash is back",
      async () => {
        stack.qstash.faults.set({ fail: 1 });
        const res = await put(digestAt("10:00"));
        assert.equal(res.status, 200, await res.clone().text());
        assert.equal(
          (await read(res, writeResult)).reconcile.status,
          "pending",
        );
        await stack.qstash.faults.clear();
        stack.clock.now += LATER_MS;
        const held = await sweptUntilClean(stack, slot);
        assert.ok(held.has(slotScheduleId("1000")));
      },
    );
  } finally {
    await stack.close();
  }
});

Deno.test("a slot whose holder was cut off after its QStash create (it never answers again) is deleted once it empties", async (t) => {
  const { promise: created, resolve: createdNow } = Promise.withResolvers<
    void
  >();
  const stack = await startInProcessStack({
    start: MONDAY_6AM,
    // The holder's isolate is gone the moment QStash answered: nothing
    // after the call runs, neither its ledger write nor its release.
    wrapScheduler: afterCreate(() => {
      createdNow();
      return new Promise<void>(() => {});
    }),
  });
  const put = (body: unknown) =>
    stack.request("/v1/users/ada/preferences", {
      method: "PUT",
      body: JSON.stringify(body),
    });
  const slot = slotScheduleId("0930");
  try {
    await t.step(
      "the create goes through, and its holder is gone",
      async () => {
        // Never answers: its holder hangs after the create.
        void put(digestAt("09:30"));
        await created;
        assert.ok((await stack.qstash.schedules()).has(slot));
      },
    );

    await t.step(
      "after the leases ran out, the slot empties and its schedule goes",
      async () => {
        stack.clock.now += LATER_MS;
        const res = await put(digestAt("10:00"));
        assert.equal(res.status, 200, await res.clone().text());
        await res.body?.cancel();
        stack.clock.now += LATER_MS;
        await sweptUntilClean(stack, slot);
      },
    );
  } finally {
    await stack.close();
  }
});
