import assert from "node:assert/strict";
import { cursorAt } from "../../src/realtime/core/cursor.ts";
import {
  type OpenInput,
  ShardCore,
} from "../../src/realtime/core/shard_core.ts";
import { MemoryShardLog } from "../../src/realtime/core/shard_log.ts";

const EPOCH = "Epoch_01";
const at = (seq: number) => cursorAt(EPOCH, seq);

function core() {
  return new ShardCore(new MemoryShardLog(EPOCH));
}

const note = (audience: string, n: number, key: string | null = null) => ({
  audience,
  event: "notification",
  dataJson: JSON.stringify({ id: `n${n}` }),
  key,
  ephemeral: false,
  sentAt: n * 1_000,
});

const ws = (over: Partial<OpenInput> = {}): OpenInput => ({
  audiences: ["user:a", "role:r"],
  // Held since 0 unless the case says: every audience's whole log.
  since: (over.audiences ?? ["user:a", "role:r"]).map(() => 0),
  cursor: null,
  now: 0,
  transport: "websocket",
  retryMs: 2000,
  heartbeatMs: 15_000,
  unread: null,
  ...over,
});

const parsed = (messages: string[]) => messages.map((m) => JSON.parse(m));

Deno.test("ShardCore numbers events across audiences and drops a repeated key", () => {
  const c = core();
  assert.deepEqual(c.publish(note("user:a", 1, "k"), 10), {
    seq: 1,
    duplicate: false,
  });
  assert.deepEqual(c.publish(note("role:r", 2), 10).seq, 2);
  assert.deepEqual(c.publish(note("user:a", 1, "k"), 10), {
    seq: 1,
    duplicate: true,
  });
  // The same key for another audience is another event.
  assert.deepEqual(c.publish(note("user:b", 1, "k"), 10).seq, 3);
});

Deno.test("an ephemeral event is not logged: its id is the position already reached", () => {
  const c = core();
  c.publish(note("user:a", 1), 10);
  const count = {
    audience: "user:a",
    event: "count",
    dataJson: '{"unread":1}',
    key: null,
    ephemeral: true,
    sentAt: 0,
  };
  assert.deepEqual(c.publish(count, 10), { seq: 1, duplicate: false });
  assert.deepEqual(c.publish(note("user:a", 2), 10).seq, 2);
  // A resume from before both replays the notifications, not the count.
  const replayed = parsed(c.open(ws({ cursor: at(0) })));
  assert.deepEqual(replayed.map((m) => m.event), [
    "connected",
    "notification",
    "notification",
  ]);
});

Deno.test("connected carries the user's unread count when the caller knows it", () => {
  const [connected] = parsed(core().open(ws({ unread: 4 })));
  assert.deepEqual(connected.data.unread, 4);
});

Deno.test("a first connect starts live: connected at the last seq, nothing replayed", () => {
  const c = core();
  c.publish(note("user:a", 1), 10);
  assert.deepEqual(parsed(c.open(ws())), [{
    id: at(1),
    event: "connected",
    data: { channels: ["user:a", "role:r"], heartbeatMs: 15_000 },
  }]);
});

Deno.test("a resume replays the connection's own audiences after its position, in order", () => {
  const c = core();
  c.publish(note("user:a", 1), 10);
  c.publish(note("user:b", 2), 10);
  c.publish(note("role:r", 3), 10);
  c.publish(note("role:other", 4), 10);
  c.publish(note("user:a", 5), 10);
  const messages = parsed(c.open(ws({ cursor: at(1) })));
  assert.deepEqual(messages.map((m) => [m.event, m.id, m.data.id]), [
    ["connected", at(1), undefined],
    ["notification", at(3), "n3"],
    ["notification", at(5), "n5"],
  ]);
});

Deno.test("a position the log cannot vouch for is a reset, with no position in connected", () => {
  const c = core();
  for (let n = 1; n <= 4; n++) c.publish(note("user:a", n), 2);
  const messages = parsed(c.open(ws({ cursor: at(1) })));
  assert.deepEqual(messages.map((m) => [m.event, m.id]), [
    ["connected", "1"],
    ["reset", at(4)],
  ]);
  assert.deepEqual(messages[1].data, { channel: "user:a" });
});

Deno.test("SSE opens with one chunk: retry, connected and the replay", () => {
  const c = core();
  c.publish(note("user:a", 1), 10);
  c.publish(note("user:a", 2), 10);
  const [chunk, ...rest] = c.open(ws({ transport: "sse", cursor: at(1) }));
  assert.deepEqual(rest, []);
  assert.deepEqual(
    chunk,
    "retry: 2000\n\n" +
      `event: connected\ndata: {"channels":["user:a","role:r"],"heartbeatMs":15000}\nid: ${
        at(1)
      }\n\n` +
      `event: notification\ndata: {"id":"n2"}\nid: ${at(2)}\n\n`,
  );
});

Deno.test("frame() writes one event in either transport with the shard's cursor", () => {
  const c = core();
  assert.deepEqual(
    c.frame("sse", "count", '{"unread":1}', 7),
    `event: count\ndata: {"unread":1}\nid: ${at(7)}\n\n`,
  );
  assert.deepEqual(
    JSON.parse(c.frame("websocket", "count", '{"unread":1}', 7)),
    {
      id: at(7),
      event: "count",
      data: { unread: 1 },
    },
  );
});

Deno.test("a resume replays a role's events only from when the connection joined it, and all of the user's own", () => {
  const c = core();
  // n1–n3 to the role at 1–3 s, n4 to the user at 4 s, n5 to the role at 5 s.
  for (let n = 1; n <= 3; n++) c.publish(note("role:r", n), 10);
  c.publish(note("user:a", 4), 10);
  c.publish(note("role:r", 5), 10);
  const replayed = (since: number, cursor: string) =>
    parsed(c.open(ws({ since: [0, since], cursor }))).slice(1).map((m) =>
      JSON.parse(JSON.stringify(m.data)).id
    );
  // Joined at 4.5 s: from a cursor before everything (made up at the log's
  // start, or its own from before the join), only n4 (its own) and n5.
  assert.deepEqual(replayed(4_500, at(0)), ["n4", "n5"]);
  assert.deepEqual(replayed(4_500, at(2)), ["n4", "n5"]);
  // Held since 0 (the port's own cases): everything after the cursor.
  assert.deepEqual(replayed(0, at(2)), ["n3", "n4", "n5"]);
});

Deno.test("ShardCore.open() refuses join times that do not match the audiences", () => {
  assert.throws(() => core().open(ws({ since: [0] })), RangeError);
});
