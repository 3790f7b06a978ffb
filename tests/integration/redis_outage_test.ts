import assert from "node:assert/strict";
import { z } from "zod";
import { healthBody, read } from "../support/bodies.ts";
import { integrationSuite } from "../support/suite.ts";

/**
 * Herald against a Redis (its Upstash REST front) that fails a share of
 * calls, answers slowly, or is gone and back: Redis only accelerates, so
 * every answer stays right (counts come from libSQL), health says
 * "degraded" and names Redis, and it recovers when Redis does.
 */
const suite = integrationSuite("Herald with Redis failing, slow or gone");
const { test } = suite;
let n = 0;
const newUser = () => `redis-fault-${++n}`;

const unread = z.object({ unread: z.number().int() });

async function send(userId: string) {
  const res = await suite.stack.admin("/v1/notifications", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId, type: "orders.new", title: "t" }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  await res.body?.cancel();
}

async function count(userId: string): Promise<number> {
  const res = await suite.stack.admin(
    `/v1/users/${userId}/notifications/count`,
  );
  assert.equal(res.status, 200, await res.clone().text());
  return (await read(res, unread)).unread;
}

async function health() {
  const res = await fetch(`${suite.stack.url}/health`);
  assert.equal(res.status, 200);
  return await read(res, healthBody);
}

test("with Redis gone counts come from libSQL, health is degraded naming Redis, and both recover", async () => {
  const user = newUser();
  await send(user);
  assert.equal(await count(user), 1);
  const redis = suite.stack.standIns.faults.redis!;
  await redis.down();
  try {
    await send(user);
    assert.equal(await count(user), 2);
    const degraded = await health();
    assert.equal(degraded.status, "degraded");
    assert.equal(degraded.checks.redis.ok, false);
    assert.equal(degraded.checks.libsql.ok, true);
    assert.equal(degraded.checks.qstash.ok, true);
  } finally {
    await redis.up();
  }
  assert.equal((await health()).status, "ok");
  await send(user);
  assert.equal(await count(user), 3);
});

test("with Redis failing a share of calls every count answers, and counts are right once it recovers", async () => {
  const user = newUser();
  const redis = suite.stack.standIns.faults.redis!;
  redis.set({ fail: 0.5 });
  try {
    for (let i = 1; i <= 8; i++) {
      await send(user);
      // An invalidation that failed is owed, and paid before the next
      // cached count is read (README, "Unread counts"): never an error,
      // never stale.
      assert.equal(await count(user), i);
    }
  } finally {
    await redis.clear();
  }
  await send(user);
  assert.equal(await count(user), 9);
});

test("a count cached before Redis went away is not served once it is back", async () => {
  const user = newUser();
  await send(user);
  await send(user);
  assert.equal(await count(user), 2); // counted, and cached
  const redis = suite.stack.standIns.faults.redis!;
  await redis.down();
  try {
    const res = await suite.stack.admin(
      `/v1/users/${user}/notifications/read-all`,
      { method: "POST" },
    );
    assert.equal(res.status, 200, await res.clone().text());
    await res.body?.cancel();
    assert.equal(await count(user), 0); // from libSQL
  } finally {
    await redis.up();
  }
  // The invalidation that failed is made up before anything is read.
  assert.equal(await count(user), 0);
});

test("a slow Redis makes a count slow, not wrong", async () => {
  const user = newUser();
  await send(user);
  const redis = suite.stack.standIns.faults.redis!;
  redis.set({ delay: 50 });
  try {
    assert.equal(await count(user), 1);
    await send(user);
    assert.equal(await count(user), 2);
  } finally {
    await redis.clear();
  }
});

suite.run();
