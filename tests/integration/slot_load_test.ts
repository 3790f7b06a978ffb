import assert from "node:assert/strict";
import { z } from "zod";
import { read } from "../support/bodies.ts";
import { integrationSuite } from "../support/suite.ts";

/**
 * `GET /v1/scheduler/slots`, the console's heat map: the busy UTC minutes
 * and their members, whichever placement holds them, and paused while
 * the scheduler is stopped.
 */
const suite = integrationSuite("the slots' load", {
  placements: ["slots", "per-user"],
});

const loadBody = z.object({
  placement: z.enum(["slots", "per-user"]),
  running: z.boolean(),
  slots: z.array(z.object({
    slot: z.string(),
    members: z.number(),
    paused: z.boolean(),
  })),
  checkedAt: z.string(),
});

async function load() {
  return await read(await suite.stack.admin("/v1/scheduler/slots"), loadBody);
}

async function save(user: string, zone: string, times: string[]) {
  const res = await suite.stack.admin(`/v1/users/${user}/preferences`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      enabled: true,
      timezone: zone,
      types: { morningDigest: { enabled: true, times } },
    }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  await res.body?.cancel();
}

suite.test("users' times count in the UTC minute they next fire in, whatever their zone", async () => {
  await save("load-a", "UTC", ["08:00", "17:45"]);
  await save("load-b", "Asia/Kolkata", ["13:30"]); // 08:00 UTC, no DST
  const answer = await load();
  assert.equal(answer.placement, suite.placement);
  assert.equal(answer.running, true);
  assert.deepEqual(answer.slots, [
    { slot: "0800", members: 2, paused: false },
    { slot: "1745", members: 1, paused: false },
  ]);
});

suite.test("a stopped scheduler's slots are paused", async () => {
  const res = await suite.stack.admin("/v1/scheduler/stop", { method: "POST" });
  assert.equal(res.status, 200, await res.clone().text());
  await res.body?.cancel();
  const answer = await load();
  assert.equal(answer.running, false);
  assert.ok(answer.slots.length > 0);
  assert.ok(answer.slots.every((s) => s.paused));
});

suite.test("it needs the admin key", async () => {
  const token = await suite.stack.userToken("load-a");
  const res = await fetch(`${suite.stack.url}/v1/scheduler/slots`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(res.status, 403);
  await res.body?.cancel();
});

suite.run();
