/** Redis data types through @upstash/redis, as Herald's cache code uses them. */
import assert from "node:assert/strict";
import type { RedisCase } from "./redis_stack.ts";

const cases: RedisCase[] = [];
const step = (name: string, run: RedisCase["run"]) => {
  cases.push({ name, run });
};

step("set() and get() round-trip JSON values", async (_, redis) => {
  const value = { id: 7, tags: ["a", "b"], nested: { ok: true, none: null } };
  assert.equal(await redis.set("str:json", value), "OK");
  assert.deepEqual(await redis.get("str:json"), value);
});

step("strings keep unicode and control bytes exactly", async (_, redis) => {
  const tricky = 'héllo wörld ✓ 🌍 \u0000\u0001\t\n\u00ff 漢字 "quoted" \\';
  await redis.set("str:unicode", tricky);
  assert.equal(await redis.get("str:unicode"), tricky);
  // A stored "OK" is a bulk string, not a status reply, and must survive base64.
  await redis.set("str:ok", "OK");
  assert.equal(await redis.get("str:ok"), "OK");
  await redis.set("str:zeros", "007");
  assert.equal(await redis.get("str:zeros"), "007");
});

step(
  "large values and long lists arrive intact across many socket reads",
  async (_, redis) => {
    const big = "✓ü".repeat(400_000);
    await redis.set("str:big", big);
    assert.equal(await redis.get("str:big"), big);
    const items = Array.from({ length: 5_000 }, (_, i) => `item-${i}-é`);
    await redis.rpush("list:long", ...items);
    assert.deepEqual(await redis.lrange("list:long", 0, -1), items);
  },
);

step(
  "bytes built inside Redis come back exactly, base64 end to end",
  async (_, redis) => {
    const bytes = await redis.eval(
      "return string.char(0xE2, 0x9C, 0x93, 0x00, 0x41)",
      [],
      [],
    );
    assert.equal(bytes, "✓\u0000A");
  },
);

step("set() honours nx and ex", async (_, redis) => {
  assert.equal(await redis.set("str:nx", "first", { nx: true }), "OK");
  assert.equal(await redis.set("str:nx", "second", { nx: true }), null);
  assert.equal(await redis.get("str:nx"), "first");
  await redis.set("str:ex", "v", { ex: 100 });
  const ttl = await redis.ttl("str:ex");
  assert.ok(ttl > 95 && ttl <= 100, `ttl was ${ttl}`);
});

step("hashes store fields and read them back", async (_, redis) => {
  assert.equal(await redis.hset("hash:1", { a: 1, b: "two", c: { n: 3 } }), 3);
  assert.equal(await redis.hget("hash:1", "a"), 1);
  assert.deepEqual(await redis.hgetall("hash:1"), {
    a: 1,
    b: "two",
    c: { n: 3 },
  });
  assert.equal(await redis.hincrby("hash:1", "a", 4), 5);
  assert.equal(await redis.hexists("hash:1", "b"), 1);
  assert.equal(await redis.hdel("hash:1", "b"), 1);
  assert.deepEqual((await redis.hkeys("hash:1")).sort(), ["a", "c"]);
  assert.equal(await redis.hgetall("hash:missing"), null);
});

step("counters increment and decrement", async (_, redis) => {
  assert.equal(await redis.incr("count:1"), 1);
  assert.equal(await redis.incrby("count:1", 10), 11);
  assert.equal(await redis.decr("count:1"), 10);
  assert.equal(await redis.decrby("count:1", 4), 6);
  assert.equal(await redis.incrbyfloat("count:1", 0.5), 6.5);
});

step("expire() and ttl() follow the key's lifetime", async (_, redis) => {
  await redis.set("ttl:1", "v");
  assert.equal(await redis.ttl("ttl:1"), -1);
  assert.equal(await redis.expire("ttl:1", 60), 1);
  const ttl = await redis.ttl("ttl:1");
  assert.ok(ttl > 55 && ttl <= 60, `ttl was ${ttl}`);
  assert.equal(await redis.persist("ttl:1"), 1);
  assert.equal(await redis.ttl("ttl:1"), -1);
  assert.equal(await redis.ttl("ttl:missing"), -2);
});

step("lists push, range and pop in order", async (_, redis) => {
  assert.equal(await redis.rpush("list:1", "b", "c"), 2);
  assert.equal(await redis.lpush("list:1", "a"), 3);
  assert.deepEqual(await redis.lrange("list:1", 0, -1), ["a", "b", "c"]);
  assert.equal(await redis.llen("list:1"), 3);
  assert.equal(await redis.lpop("list:1"), "a");
  assert.equal(await redis.rpop("list:1"), "c");
  assert.deepEqual(await redis.lrange("list:empty", 0, -1), []);
});

step("sets add, test and remove members", async (_, redis) => {
  assert.equal(await redis.sadd("set:1", "x", "y", "z"), 3);
  assert.equal(await redis.sadd("set:1", "x"), 0);
  assert.deepEqual((await redis.smembers("set:1")).sort(), ["x", "y", "z"]);
  assert.equal(await redis.sismember("set:1", "y"), 1);
  assert.equal(await redis.srem("set:1", "y"), 1);
  assert.equal(await redis.scard("set:1"), 2);
});

step("sorted sets order members by score", async (_, redis) => {
  await redis.zadd(
    "zset:1",
    { score: 3, member: "c" },
    { score: 1, member: "a" },
    { score: 2, member: "b" },
  );
  assert.deepEqual(await redis.zrange("zset:1", 0, -1), ["a", "b", "c"]);
  assert.deepEqual(await redis.zrange("zset:1", 0, 0, { withScores: true }), [
    "a",
    1,
  ]);
  assert.deepEqual(await redis.zrange("zset:1", 0, -1, { rev: true }), [
    "c",
    "b",
    "a",
  ]);
  assert.equal(await redis.zscore("zset:1", "b"), 2);
  assert.equal(await redis.zincrby("zset:1", 5, "a"), 6);
  assert.equal(await redis.zrank("zset:1", "a"), 2);
  assert.equal(await redis.zcard("zset:1"), 3);
});

export const dataTypeCases: readonly RedisCase[] = cases;
