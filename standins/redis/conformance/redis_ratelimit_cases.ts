/** @upstash/ratelimit against the proxy, including its NOSCRIPT fallback. */
import assert from "node:assert/strict";
import { Ratelimit } from "@upstash/ratelimit";
import type { RedisCase } from "./redis_stack.ts";

const cases: RedisCase[] = [];
const step = (name: string, run: RedisCase["run"]) => {
  cases.push({ name, run });
};

// Windows of an hour: four calls that straddle a window's edge would be
// allowed a fourth (both limiters count from windows aligned to the clock),
// and with 10 s windows a slow machine straddled one every few dozen runs.
for (
  const [name, limiter] of [
    ["slidingWindow", Ratelimit.slidingWindow(3, "1 h")],
    ["fixedWindow", Ratelimit.fixedWindow(3, "1 h")],
    // Herald's refresh limiter (ports/refresh_limiter.ts).
    ["tokenBucket", Ratelimit.tokenBucket(3, "1 h", 3)],
  ] as const
) {
  step(
    `Ratelimit.${name}(3) allows 3 calls then blocks, loading its script after NOSCRIPT`,
    async (stack, redis) => {
      assert.equal(await redis.scriptFlush(), "OK");
      const ratelimit = new Ratelimit({
        redis,
        limiter,
        prefix: `rl:${name}`,
        ephemeralCache: false,
      });
      const before = stack.proxyLog.length;
      const outcomes = [];
      for (let i = 0; i < 4; i++) {
        outcomes.push((await ratelimit.limit("user-1")).success);
      }
      assert.deepEqual(outcomes, [true, true, true, false]);
      // Only the first call misses the flushed script and falls back to EVAL;
      // later calls hit it by the SHA1 the library ships with.
      const scriptCalls = stack.proxyLog.slice(before)
        .filter((line) => line.includes("EVAL"))
        .map((line) =>
          line.replace(/^POST \/pipeline 200 /, "").replace(/ [\d.]+ms$/, "")
        );
      assert.deepEqual(scriptCalls, [
        "[EVALSHA] 1 failed",
        "[EVAL]",
        "[EVALSHA]",
        "[EVALSHA]",
        "[EVALSHA]",
      ]);
      const other = await ratelimit.limit("user-2");
      assert.equal(other.success, true);
      assert.equal(other.remaining, 2);
    },
  );
}

export const ratelimitCases: readonly RedisCase[] = cases;
