import assert from "node:assert/strict";
import { AppError } from "../../src/errors.ts";
import {
  DEFAULT_LIMITS,
  resolveLimits,
} from "../../src/realtime/core/limits.ts";
import {
  audienceOf,
  publishInput,
  streamAudiences,
} from "../../src/realtime/core/port_inputs.ts";

Deno.test("resolveLimits() fills defaults and ignores options that are not limits", () => {
  const options = { logSize: 5, shards: 10, clock: {} };
  assert.deepEqual(resolveLimits(options), { ...DEFAULT_LIMITS, logSize: 5 });
});

Deno.test("resolveLimits() refuses a limit that is not a positive integer", () => {
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => resolveLimits({ maxConnections: bad }), RangeError);
  }
  assert.deepEqual(resolveLimits({ retryMs: 0 }).retryMs, 0);
});

Deno.test("publishInput() serialises the data once and keeps the key, the send time (0 when absent) and the expiry (null when absent)", () => {
  assert.deepEqual(
    publishInput({
      event: "count",
      data: { unread: 2 },
      key: "k",
      sentAt: 9,
      expiresAt: 99,
    }),
    {
      event: "count",
      dataJson: '{"unread":2}',
      key: "k",
      ephemeral: false,
      sentAt: 9,
      expiresAt: 99,
    },
  );
  assert.deepEqual(
    publishInput({ event: "digest.ready", data: undefined }),
    {
      event: "digest.ready",
      dataJson: "null",
      key: null,
      ephemeral: false,
      sentAt: 0,
      expiresAt: null,
    },
  );
  for (const sentAt of [-1, 1.5, Number.NaN]) {
    assert.throws(
      () => publishInput({ event: "notification", data: {}, sentAt }),
      AppError,
    );
    assert.throws(
      () =>
        publishInput({ event: "notification", data: {}, expiresAt: sentAt }),
      AppError,
    );
  }
});

Deno.test("publishInput() refuses Herald's own event names and odd keys", () => {
  for (const event of ["connected", "reset", "hb", "ping", "bad name", ""]) {
    assert.throws(() => publishInput({ event, data: {} }), AppError, event);
  }
  for (const key of ["", "k".repeat(257)]) {
    assert.throws(
      () => publishInput({ event: "notification", data: {}, key }),
      AppError,
    );
  }
});

const stream = {
  userId: "a",
  roles: [] as string[],
  topics: [] as string[],
  joinedAt: {} as Record<string, number>,
  lastEventId: null,
  unread: null,
  now: 0,
  heartbeatMs: 15_000,
  transport: { kind: "sse" as const },
};

Deno.test("streamAudiences() puts the user first and names each audience once", () => {
  assert.deepEqual(
    streamAudiences({
      ...stream,
      roles: ["admin", "ops", "admin"],
      topics: ["news"],
    }).audiences,
    ["user:a", "role:admin", "role:ops", "topic:news"],
  );
});

Deno.test("streamAudiences() holds the user's own audience since 0, each role and topic since its join, and one with no join never", () => {
  assert.deepEqual(
    streamAudiences({
      ...stream,
      roles: ["ops", "admin"],
      topics: ["news"],
      joinedAt: { "role:ops": 5_000, "topic:news": 7_000 },
    }),
    {
      audiences: ["user:a", "role:ops", "role:admin", "topic:news"],
      since: [0, 5_000, Number.MAX_SAFE_INTEGER, 7_000],
    },
  );
});

Deno.test("streamAudiences() refuses too many claims, long names or a silly heartbeat", () => {
  const many = Array.from({ length: 65 }, (_, i) => `t${i}`);
  assert.throws(() => streamAudiences({ ...stream, topics: many }), AppError);
  assert.ok(streamAudiences({ ...stream, topics: many.slice(1) }));
  assert.throws(
    () => streamAudiences({ ...stream, roles: ["r".repeat(300)] }),
    AppError,
  );
  assert.throws(
    () => streamAudiences({ ...stream, heartbeatMs: 0 }),
    RangeError,
  );
});

Deno.test("audienceOf() is the channel name, refused when it cannot be a socket tag", () => {
  assert.deepEqual(audienceOf({ kind: "topic", name: "news" }), "topic:news");
  assert.throws(
    () => audienceOf({ kind: "user", name: "u".repeat(250) }),
    AppError,
  );
});
