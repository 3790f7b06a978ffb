/**
 * The proxy's injected faults, seen through @upstash/redis: a failed call is
 * the proxy's 500 (the client's UpstashError), a slow proxy answers late,
 * and an outage refuses connections on the port it keeps and ends with
 * Redis' data intact. Each case clears what it set.
 */
import assert from "node:assert/strict";
import { errors, Redis } from "@upstash/redis";
import { z } from "zod";
import { eventually } from "@herald/testing";
import type { RedisCase, RedisTestStack } from "./redis_stack.ts";

const cases: RedisCase[] = [];
const step = (name: string, run: RedisCase["run"]) => {
  cases.push({ name, run });
};

const status = z.object({
  fail: z.number(),
  delay: z.number(),
  down: z.boolean(),
  downUntil: z.number().nullable(),
});

/** One request per command and no retries: each call is one answer. */
const plainClient = (stack: RedisTestStack) =>
  new Redis({
    url: stack.proxy.url,
    token: stack.token,
    retry: false,
    enableAutoPipelining: false,
  });

const isServerError = (error: unknown) =>
  error instanceof errors.UpstashError &&
  /Internal proxy error/.test(error.message);

step(
  "a proxy failing every call answers the client's UpstashError and runs nothing",
  async (stack) => {
    const redis = plainClient(stack);
    await redis.del("faults:n");
    stack.proxy.faults.set({ fail: 1 });
    await assert.rejects(redis.incr("faults:n"), isServerError);
    await stack.proxy.faults.clear();
    assert.equal(await redis.get("faults:n"), null);
  },
);

step(
  "a proxy failing a share of calls fails about that share",
  async (stack) => {
    const redis = plainClient(stack);
    stack.proxy.faults.set({ fail: 0.5 });
    let failed = 0;
    for (let i = 0; i < 200; i++) {
      await redis.ping().catch((error) => {
        assert.ok(isServerError(error), String(error));
        failed++;
      });
    }
    // Binomial(200, 0.5): outside 60–140 has a chance below 1e-8.
    assert.ok(failed > 60 && failed < 140, `${failed} of 200 failed`);
    stack.proxy.faults.set({ fail: 0 });
  },
);

step(
  "a slow proxy answers each call no sooner than its delay",
  async (stack) => {
    const redis = plainClient(stack);
    stack.proxy.faults.set({ delay: 150 });
    const started = performance.now();
    await redis.ping();
    assert.ok(performance.now() - started >= 150);
    stack.proxy.faults.set({ delay: 0 });
  },
);

step(
  "a proxy that is down keeps its port and comes back with the data",
  async (stack) => {
    const redis = plainClient(stack);
    await redis.set("faults:kept", { v: 1 });
    await stack.proxy.faults.down();
    try {
      await assert.rejects(redis.get("faults:kept"), TypeError);
      assert.throws(
        () => Deno.listen({ hostname: "127.0.0.1", port: stack.proxy.port }),
        Deno.errors.AddrInUse,
      );
    } finally {
      await stack.proxy.faults.up();
    }
    assert.deepEqual(await redis.get("faults:kept"), { v: 1 });
  },
);

step(
  "the faults answer over HTTP behind the token, and a timed outage ends by itself",
  async (stack) => {
    const redis = plainClient(stack);
    const call = (method: string, body?: unknown, token = stack.token) =>
      fetch(`${stack.proxy.url}/dev/faults`, {
        method,
        headers: { authorization: `Bearer ${token}` },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const refused = await call("GET", undefined, "wrong");
    assert.equal(refused.status, 401);
    await refused.body?.cancel();

    const set = status.parse(await (await call("POST", { fail: 1 })).json());
    assert.equal(set.fail, 1);
    await assert.rejects(redis.ping(), isServerError);
    assert.equal(status.parse(await (await call("DELETE")).json()).fail, 0);

    const down = status.parse(await (await call("POST", { down: 300 })).json());
    assert.equal(down.down, true);
    await eventually("the proxy to be down", async () => {
      try {
        await redis.ping();
        return null;
      } catch (error) {
        return error instanceof TypeError ? true : null;
      }
    });
    await eventually("the proxy to come back by itself", async () => {
      try {
        return await redis.ping();
      } catch {
        return null;
      }
    });
  },
);

export const faultCases: readonly RedisCase[] = cases;
