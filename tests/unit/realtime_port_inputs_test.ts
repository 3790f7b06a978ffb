import assert from "node:assert/strict";
import { AppError } from "../../src/errors.ts";
import { DEFAULT_LIMITS, resolveLimits } from "../../src/realtime/limits.ts";
import {
  publishInput,
  streamChannels,
} from "../../src/realtime/port_inputs.ts";

Deno.test("resolveLimits() fills defaults and ignores options that are not limits", () => {
  const options = { logSize: 5, directoryRefreshMs: 10, clock: {} };
  assert.deepEqual(resolveLimits(options), { ...DEFAULT_LIMITS, logSize: 5 });
});

Deno.test("resolveLimits() refuses a limit that is not a positive integer", () => {
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => resolveLimits({ maxSubscribers: bad }), RangeError);
  }
  assert.deepEqual(resolveLimits({ retryMs: 0 }).retryMs, 0);
});

Deno.test("publishInput() serialises the data once and keeps the key", () => {
  assert.deepEqual(
    publishInput({ event: "count", data: { unread: 2 }, key: "k" }),
    { event: "count", dataJson: '{"unread":2}', key: "k" },
  );
  assert.deepEqual(
    publishInput({ event: "ping", data: undefined }),
    { event: "ping", dataJson: "null", key: null },
  );
});

Deno.test("publishInput() refuses Herald's own event names and odd keys", () => {
  for (const event of ["connected", "reset", "bad name", ""]) {
    assert.throws(() => publishInput({ event, data: {} }), AppError, event);
  }
  for (const key of ["", "k".repeat(257)]) {
    assert.throws(
      () => publishInput({ event: "notification", data: {}, key }),
      AppError,
    );
  }
});

Deno.test("streamChannels() names each channel once, in order", () => {
  assert.deepEqual(
    streamChannels({
      channels: [
        { kind: "user", name: "a" },
        { kind: "role", name: "admin" },
        { kind: "user", name: "a" },
      ],
      lastEventId: null,
      heartbeatMs: 15_000,
    }),
    ["user:a", "role:admin"],
  );
});

Deno.test("streamChannels() refuses no channels, too many, or a silly heartbeat", () => {
  const base = { lastEventId: null, heartbeatMs: 15_000 };
  assert.throws(() => streamChannels({ ...base, channels: [] }), AppError);
  const many = Array.from(
    { length: 65 },
    (_, i) => ({ kind: "topic" as const, name: `t${i}` }),
  );
  assert.throws(() => streamChannels({ ...base, channels: many }), AppError);
  assert.throws(
    () =>
      streamChannels({
        ...base,
        channels: [{ kind: "user", name: "a" }],
        heartbeatMs: 0,
      }),
    RangeError,
  );
});
