import { startInProcessStack } from "./support/in_process_stack.ts";
import assert from "node:assert/strict";
import { slotScheduleId } from "../../src/domain/schedules/slot_plan.ts";
import { reconcileUser } from "../../src/services/preferences/reconcile_user.ts";
import { read, writeResult } from "../support/bodies.ts";

/** Monday 5 January 2026, 06:00 UTC: before every time written below. */
const MONDAY_6AM = Date.UTC(2026, 0, 5, 6, 0);

const digestAt = (time: string) => ({
  enabled: true,
  timezone: "UTC",
  types: { morningDigest: { enabled: true, times: [time] } },
});

Deno.test("reconcileUser() in process: a write makes its slot's QStash schedule, and the same write again calls QStash not at all", async (t) => {
  const stack = await startInProcessStack({ start: MONDAY_6AM });
  try {
    const put = (userId: string, body: unknown) =>
      stack.request(`/v1/users/${userId}/preferences`, {
        method: "PUT",
        body: JSON.stringify(body),
      });

    await t.step(
      "a write reconciles before it answers: QStash holds the slot",
      async () => {
        const res = await put("ada", digestAt("09:30"));
        assert.equal(res.status, 200, await res.clone().text());
        const written = await read(res, writeResult);
        assert.equal(written.reconcile.status, "synced");
        const held = await stack.qstash.schedules();
        const slot = held.get(slotScheduleId("0930"));
        assert.ok(slot, `no slot schedule among ${[...held.keys()]}`);
        assert.equal(slot.cron, "CRON_TZ=UTC 30 9 * * *");
      },
    );

    await t.step(
      "a write that changes nothing makes no QStash call",
      async () => {
        await stack.settled();
        const before = await stack.qstash.calls();
        const res = await put("ada", digestAt("09:30"));
        assert.equal(res.status, 200);
        await res.body?.cancel();
        await stack.settled();
        // calls() itself is a dev route, which the stand-in does not count.
        assert.equal(await stack.qstash.calls(), before);
      },
    );

    await t.step(
      "reconciling a user already in step is all unchanged and calls QStash not at all",
      async () => {
        const before = await stack.qstash.calls();
        const outcome = await reconcileUser({ ctx: stack.ctx, userId: "ada" });
        assert.equal(outcome.status, "synced");
        assert.deepEqual(
          [outcome.created, outcome.updated, outcome.deleted],
          [[], [], []],
        );
        assert.equal(await stack.qstash.calls(), before);
      },
    );

    await t.step(
      "moving the time moves the user to the new slot's schedule",
      async () => {
        const res = await put("ada", digestAt("10:15"));
        assert.equal(res.status, 200);
        await res.body?.cancel();
        const held = await stack.qstash.schedules();
        assert.ok(held.has(slotScheduleId("1015")));
      },
    );
  } finally {
    await stack.close();
  }
});
