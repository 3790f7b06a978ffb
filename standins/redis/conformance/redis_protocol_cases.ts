/**
 * The REST protocol itself: pipelines, transactions, auto-pipelining,
 * encodings, errors, auth and scripts, as @upstash/redis exercises them.
 */
import assert from "node:assert/strict";
import { errors, Redis } from "@upstash/redis";
import { startRedisRestProxy } from "../proxy.ts";
import { clientFor, unusedPort } from "./redis_stack.ts";
import type { RedisCase } from "./redis_stack.ts";

const cases: RedisCase[] = [];
const step = (name: string, run: RedisCase["run"]) => {
  cases.push({ name, run });
};

step(
  "pipeline() runs commands in order and reports failures",
  async (_, redis) => {
    const results = await redis.pipeline()
      .set("pipe:1", "v")
      .incr("pipe:n")
      .incr("pipe:n")
      .get("pipe:1")
      .exec();
    assert.deepEqual(results, ["OK", 1, 2, "v"]);
    const failing = redis.pipeline().incr("pipe:n").incr("pipe:1").get(
      "pipe:n",
    );
    await assert.rejects(
      failing.exec(),
      /Command 2 \[ incr \] failed: ERR value is not an integer/,
    );
    const kept = await redis.pipeline().incr("pipe:1").get("pipe:n").exec({
      keepErrors: true,
    });
    assert.match(kept[0]?.error ?? "", /not an integer/);
    assert.equal(kept[1]?.result, 3);
  },
);

step("multi() applies a transaction atomically", async (_, redis) => {
  const results = await redis.multi()
    .set("tx:1", { step: 1 })
    .incr("tx:n")
    .get("tx:1")
    .exec();
  assert.deepEqual(results, ["OK", 1, { step: 1 }]);
  // A runtime error fails one command; Redis still applies the others.
  const failing = redis.multi().incr("tx:1").incr("tx:n");
  await assert.rejects(failing.exec(), /Command 1 \[ incr \] failed/);
  assert.equal(await redis.get("tx:n"), 2);
});

step(
  "concurrent calls are auto-pipelined into few requests",
  async (stack, redis) => {
    const before = stack.proxyLog.length;
    const writes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => redis.set(`auto:${i}`, i)),
    );
    assert.deepEqual(writes, Array(20).fill("OK"));
    const reads = await Promise.all(
      Array.from({ length: 20 }, (_, i) => redis.get<number>(`auto:${i}`)),
    );
    assert.deepEqual(reads, Array.from({ length: 20 }, (_, i) => i));
    const requests = stack.proxyLog.slice(before);
    assert.equal(requests.length, 2, requests.join("\n"));
    assert.ok(requests.every((line) => line.startsWith("POST /pipeline 200")));
  },
);

step(
  "a client without auto-pipelining sends one command per request",
  async (stack) => {
    const redis = clientFor(stack, { enableAutoPipelining: false });
    const before = stack.proxyLog.length;
    await redis.set("plain:1", { a: [1, 2] });
    assert.deepEqual(await redis.get("plain:1"), { a: [1, 2] });
    assert.equal(await redis.incr("plain:n"), 1);
    assert.deepEqual(
      stack.proxyLog.slice(before).map((l) =>
        l.split(" ").slice(0, 4).join(" ")
      ),
      [
        "POST / 200 SET",
        "POST / 200 GET",
        "POST / 200 INCR",
      ],
    );
    await assert.rejects(redis.incr("plain:1"), (error: unknown) => {
      assert.ok(error instanceof errors.UpstashError);
      assert.match(
        error.message,
        /ERR value is not an integer or out of range/,
      );
      return true;
    });
  },
);

step("a Redis error surfaces as UpstashError", async (_, redis) => {
  await redis.set("err:text", "abc");
  await assert.rejects(redis.incr("err:text"), (error: unknown) => {
    assert.ok(error instanceof errors.UpstashError);
    assert.match(error.message, /not an integer or out of range/);
    return true;
  });
});

step(
  "commands that would block a pooled connection are refused",
  async (_, redis) => {
    await assert.rejects(
      redis.exec(["BLPOP", "block:1", "0"]),
      /BLPOP with a zero timeout would block forever/,
    );
    await assert.rejects(
      redis.exec(["SUBSCRIBE", "chan"]),
      /SUBSCRIBE streams replies/,
    );
    assert.equal(await redis.exec(["BLPOP", "block:1", "0.05"]), null);
  },
);

step("a wrong token is rejected as Unauthorized", async (stack) => {
  const redis = clientFor(stack, {
    token: "wrong",
    enableAutoPipelining: false,
  });
  await assert.rejects(redis.get("any"), (error: unknown) => {
    assert.ok(error instanceof errors.UpstashError);
    assert.match(error.message, /^Unauthorized/);
    return true;
  });
});

step(
  "JSON survives with and without base64 response encoding",
  async (stack, redis) => {
    const doc = {
      title: "Résumé ✓",
      items: [1, "two", null, { deep: ["🌍"] }],
    };
    await redis.set("json:doc", doc);
    assert.deepEqual(await redis.get("json:doc"), doc);
    assert.deepEqual(await redis.mget("json:doc", "json:none"), [doc, null]);
    const plain = clientFor(stack, {
      responseEncoding: false,
      enableAutoPipelining: false,
    });
    assert.deepEqual(await plain.get("json:doc"), doc);
    assert.equal(await plain.set("json:plain", "OK ✓"), "OK");
    assert.equal(await redis.get("json:plain"), "OK ✓");
  },
);

step("the sync token for readYourWrites is echoed back", async (stack) => {
  const redis = clientFor(stack, { enableAutoPipelining: false });
  redis.readYourWritesSyncToken = "session-42";
  await redis.set("sync:1", "v");
  assert.equal(redis.readYourWritesSyncToken, "session-42");
});

step(
  "scripts with Upstash-only shebang flags load under the SHA1 the client computed",
  async (_, redis) => {
    const script =
      "#!lua flags=allow-key-locking,no-writes\nreturn redis.call('GET', KEYS[1])";
    const digest = await crypto.subtle.digest(
      "SHA-1",
      new TextEncoder().encode(script),
    );
    const sha = Array.from(
      new Uint8Array(digest),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    await redis.scriptFlush();
    await assert.rejects(redis.evalsha(sha, ["lua:1"], []), /NOSCRIPT/);
    assert.equal(await redis.scriptLoad(script), sha);
    assert.deepEqual(await redis.scriptExists(sha), [1]);
    await redis.set("lua:1", { from: "lua" });
    assert.deepEqual(await redis.evalsha(sha, ["lua:1"], []), { from: "lua" });
    assert.deepEqual(await redis.eval(script, ["lua:1"], []), { from: "lua" });
  },
);

step(
  "a proxy whose Redis is down answers 500 without hanging",
  async (stack) => {
    const proxy = await startRedisRestProxy({
      port: 0,
      token: stack.token,
      redisUrl: `redis://127.0.0.1:${unusedPort()}`,
    });
    try {
      const redis = new Redis({
        url: proxy.url,
        token: stack.token,
        retry: false,
        enableAutoPipelining: false,
      });
      await assert.rejects(redis.get("down"), (error: unknown) => {
        assert.ok(error instanceof errors.UpstashError);
        assert.match(error.message, /Cannot connect to Redis/);
        return true;
      });
    } finally {
      await proxy.close();
    }
  },
);

export const protocolCases: readonly RedisCase[] = cases;
