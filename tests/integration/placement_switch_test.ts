import assert from "node:assert/strict";
import { z } from "zod";
import { DEV_QSTASH_TOKEN } from "@herald/standin-qstash";
import { isHeraldSchedule } from "../../src/domain/jobs/job_schedule.ts";
import { scheduleOwner } from "../../src/domain/schedules/schedule_plan.ts";
import { slotOfScheduleId } from "../../src/domain/schedules/slot_plan.ts";
import { read } from "../support/bodies.ts";
import { qstashClient } from "../support/qstash.ts";
import { operationBody } from "../support/scheduler_bodies.ts";
import { startScratchStandIns } from "../support/scratch_stand_ins.ts";
import { startTestWorker, type TestWorker } from "../support/test_stack.ts";

/**
 * Switching a live deployment from per-user schedules to shared slots is a
 * restart: while it runs some users are still on their own schedules and
 * some already in slots, and every occurrence in between is delivered
 * exactly once. (A deployment keeps its URL; here the two placements are
 * two Workers on the same stand-ins, each with its own.)
 */
Deno.test("switching placement from per-user to slots is a restart that loses and doubles nothing", async () => {
  const standIns = await startScratchStandIns({ persist: true });
  const workers: TestWorker[] = [];
  try {
    const perUser = await startTestWorker(standIns.env, {
      SCHEDULE_PLACEMENT: "per-user",
    });
    workers.push(perUser);
    const users = ["sw-ada", "sw-bo", "sw-cy"];
    for (const user of users) {
      const res = await perUser.admin(`/v1/users/${user}/preferences`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          enabled: true,
          timezone: "Europe/Paris",
          types: {
            taskReminder: {
              enabled: true,
              times: ["10:00"],
              days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            },
          },
        }),
      });
      assert.equal(res.status, 200, await res.clone().text());
      await res.body?.cancel();
    }
    const stack = { standIns };
    const qstash = qstashClient(stack);
    const held = async () =>
      (await qstash.schedules.list()).map((s) => s.scheduleId)
        .filter(isHeraldSchedule);
    assert.equal((await held()).filter((id) => scheduleOwner(id)).length, 3);

    // The same deployment, now with shared slots; one user moves first.
    const slots = await startTestWorker(standIns.env, {
      SCHEDULE_PLACEMENT: "slots",
    });
    workers.push(slots);
    const moved = await slots.admin(
      `/v1/scheduler/users/${users[0]}/reconcile`,
      { method: "POST" },
    );
    assert.equal(moved.status, 200, await moved.clone().text());
    await moved.body?.cancel();
    const halfway = await held();
    assert.equal(halfway.filter((id) => scheduleOwner(id)).length, 2);
    assert.equal(halfway.filter((id) => slotOfScheduleId(id)).length, 1);

    // Half switched, a day goes by: everyone gets their occurrence once.
    await advanceOneDay(stack);
    assert.deepEqual(await dates(slots, users), [[1], [1], [1]]);

    // The restart finishes the switch: slots only, and nothing to redo.
    const restarted = await slots.admin("/v1/scheduler/restart", {
      method: "POST",
    });
    const { operation } = await read(restarted, operationBody);
    assert.equal(operation.status, "done");
    const after = await held();
    assert.equal(after.filter((id) => scheduleOwner(id)).length, 0);
    // Three users at 10:00 in Paris share one slot.
    assert.equal(after.filter((id) => slotOfScheduleId(id)).length, 1);
    await advanceOneDay(stack);
    assert.deepEqual(await dates(slots, users), [[2], [2], [2]]);
  } finally {
    for (const worker of workers) await worker.close();
    await standIns.close();
  }
});

async function advanceOneDay(stack: { standIns: { qstashUrl: string } }) {
  const res = await fetch(`${stack.standIns.qstashUrl}/v2/dev/clock`, {
    method: "POST",
    headers: { authorization: `Bearer ${DEV_QSTASH_TOKEN}` },
    body: JSON.stringify({ advance: 86_400_000 }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  await res.body?.cancel();
}

/** How many notifications each user has, each for a different date. */
async function dates(worker: TestWorker, users: string[]) {
  const page = z.object({
    items: z.array(z.object({
      data: z.object({ occurrence: z.object({ localDate: z.string() }) }),
    })),
  });
  return await Promise.all(users.map(async (user) => {
    const res = await worker.admin(`/v1/users/${user}/notifications`);
    const { items } = page.parse(await res.json());
    const days = items.map((i) => i.data.occurrence.localDate);
    assert.equal(new Set(days).size, days.length, `${user}: one per day`);
    return [days.length];
  }));
}
