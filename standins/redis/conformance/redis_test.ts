/**
 * The dev Redis REST proxy, driven only by the official Upstash clients
 * against a real redis-server. If these pass, Herald's cache and rate-limit
 * code sees the same behaviour locally as on Upstash.
 */
// @std/assert is not in the offline cache; node:assert ships with Deno.
import assert from "node:assert/strict";
import { Redis } from "@upstash/redis";
import { findRedisServer, startRedisServer } from "../redis_server.ts";
import { startRedisRestProxy } from "../proxy.ts";
import { clientFor, startRedisTestStack } from "./redis_stack.ts";
import { dataTypeCases } from "./redis_data_type_cases.ts";
import { protocolCases } from "./redis_protocol_cases.ts";
import { ratelimitCases } from "./redis_ratelimit_cases.ts";
import { faultCases } from "./redis_fault_cases.ts";

const allCases = [
  ...dataTypeCases,
  ...protocolCases,
  ...ratelimitCases,
  ...faultCases,
];
const redisServerPath = await findRedisServer();
if (redisServerPath === null) {
  console.warn(
    "Skipping Redis conformance tests: redis-server is not installed (apt install redis-server)",
  );
}

Deno.test({
  name: "startRedisServer() with a dir keeps data across restarts",
  ignore: redisServerPath === null,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "herald-redis-" });
    try {
      const first = await startRedisServer({ port: 0, dir });
      await withClient(first.url, (redis) => redis.set("persisted", { v: 1 }));
      await first.stop();
      const second = await startRedisServer({ port: 0, dir });
      try {
        const value = await withClient(
          second.url,
          (redis) => redis.get("persisted"),
        );
        assert.deepEqual(value, { v: 1 });
      } finally {
        await second.stop();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "the proxy fails fast while redis-server is down and recovers after a restart",
  ignore: redisServerPath === null,
  async fn() {
    let server = await startRedisServer({ port: 0 });
    const token = "restart-test";
    const proxy = await startRedisRestProxy({
      port: 0,
      token,
      redisUrl: server.url,
    });
    try {
      const redis = new Redis({ url: proxy.url, token, retry: false });
      assert.equal(await redis.set("before", 1), "OK");
      // The pooled connection dies with the old server; the proxy must
      // reconnect instead of failing the first request after a restart.
      await server.stop();
      server = await startRedisServer({ port: server.port });
      assert.equal(await redis.incr("after"), 1);
      await server.stop();
      await assert.rejects(redis.get("after"), /Cannot connect to Redis/);
      server = await startRedisServer({ port: server.port });
      assert.equal(await redis.incr("after"), 1);
    } finally {
      await proxy.close();
      await server.stop();
    }
  },
});

/** Runs `fn` with a client behind a short-lived proxy for `redisUrl`. */
async function withClient<T>(
  redisUrl: string,
  fn: (redis: Redis) => Promise<T>,
): Promise<T> {
  const token = "persistence-test";
  const proxy = await startRedisRestProxy({ port: 0, token, redisUrl });
  try {
    return await fn(new Redis({ url: proxy.url, token }));
  } finally {
    await proxy.close();
  }
}

Deno.test({
  name: "the Redis REST proxy behaves like Upstash for the official clients",
  ignore: redisServerPath === null,
  async fn(t) {
    const stack = await startRedisTestStack();
    try {
      const redis = clientFor(stack);
      for (const { name, run } of allCases) {
        await t.step(name, () => run(stack, redis));
      }
    } finally {
      await stack.close();
    }
  },
});
