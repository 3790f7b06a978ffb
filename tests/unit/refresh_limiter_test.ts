import assert from "node:assert/strict";
import { createLogger } from "../../src/adapters/json_logger.ts";
import {
  createLocalLimiter,
  createRefreshLimiter,
} from "../../src/adapters/refresh_limiter.ts";

Deno.test("without Redis, refresh is limited to one per window per user", async () => {
  let now = 1_000_000;
  const limiter = createRefreshLimiter(
    null,
    createLocalLimiter(() => now, 60),
    createLogger(() => {}),
  );
  assert.deepEqual(await limiter.limit("ada"), {
    allowed: true,
    retryAfter: 0,
  });
  const second = await limiter.limit("ada");
  assert.equal(second.allowed, false);
  assert.equal(second.retryAfter, 60);
  assert.equal((await limiter.limit("bob")).allowed, true, "per user");
  now += 45_000;
  assert.deepEqual(await limiter.limit("ada"), {
    allowed: false,
    retryAfter: 15,
  });
  now += 15_000;
  assert.equal((await limiter.limit("ada")).allowed, true);
});
