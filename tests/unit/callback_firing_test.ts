// node:assert ships with Deno; @std/assert would have to come from JSR, which
// this project's machines cannot reach.
import assert from "node:assert/strict";
import { firedAt } from "../../src/services/callbacks/dispatch_callback.ts";

const NOW = Date.UTC(2026, 2, 2, 9, 31);
const CREATED = Date.UTC(2026, 2, 1, 9, 30);

/** A QStash port that knows one message, or fails; it counts its calls. */
function deps(answer: "known" | "unknown" | "down") {
  const calls: string[] = [];
  const warnings: string[] = [];
  return {
    calls,
    warnings,
    now: () => NOW,
    scheduler: {
      messageCreatedAt(messageId: string): Promise<number | null> {
        calls.push(messageId);
        if (answer === "down") return Promise.reject(new Error("down"));
        return Promise.resolve(answer === "known" ? CREATED : null);
      },
    },
    log: { warn: (event: string) => void warnings.push(event) },
  };
}

Deno.test("firedAt() names a first attempt by its arrival, without asking QStash", async () => {
  const d = deps("known");
  assert.equal(
    await firedAt({ ctx: d, message: { messageId: "msg_1", retried: 0 } }),
    NOW,
  );
  assert.deepEqual(d.calls, []);
});

Deno.test("firedAt() names a retry by when QStash made its message", async () => {
  const d = deps("known");
  assert.equal(
    await firedAt({ ctx: d, message: { messageId: "msg_1", retried: 2 } }),
    CREATED,
  );
  assert.deepEqual(d.calls, ["msg_1"]);
});

Deno.test("firedAt() falls back to the arrival when QStash does not know the message", async () => {
  const d = deps("unknown");
  assert.equal(
    await firedAt({ ctx: d, message: { messageId: "msg_1", retried: 1 } }),
    NOW,
  );
  assert.deepEqual(d.warnings, []);
});

Deno.test("firedAt() falls back to the arrival, and says so, when QStash does not answer", async () => {
  const d = deps("down");
  assert.equal(
    await firedAt({ ctx: d, message: { messageId: "msg_1", retried: 1 } }),
    NOW,
  );
  assert.deepEqual(d.warnings, ["callback.firing_unknown"]);
});

Deno.test("firedAt() without a message id is the arrival", async () => {
  const d = deps("known");
  assert.equal(
    await firedAt({ ctx: d, message: { messageId: null, retried: 3 } }),
    NOW,
  );
  assert.deepEqual(d.calls, []);
});
