import assert from "node:assert/strict";
import { Channel, type SubscribeOptions } from "../../src/realtime/channel.ts";
import {
  decodeCursor,
  formatPart,
  joinCursor,
} from "../../src/realtime/cursor.ts";
import { MemoryReplayLog } from "../../src/realtime/replay_log.ts";
import { flush, ManualClock } from "../support/manual_clock.ts";
import { collect } from "../support/stream_collector.ts";

const EPOCH = "Epoch_01";

function channel(name = "user:alice") {
  return new Channel(name, new MemoryReplayLog(EPOCH), {
    clock: new ManualClock(),
  });
}

function options(over: Partial<SubscribeOptions> = {}): SubscribeOptions {
  return {
    cursor: null,
    heartbeatMs: 1000,
    retryMs: 2000,
    maxSubscribers: 10,
    maxBufferedBytes: 64 * 1024,
    ...over,
  };
}

function open(ch: Channel, over: Partial<SubscribeOptions> = {}) {
  const result = ch.subscribe(options(over));
  if (!result.ok) throw new Error("channel full");
  return collect(result.stream);
}

const note = (n: number, key: string | null = null) => ({
  event: "notification",
  dataJson: JSON.stringify({ id: `n${n}` }),
  key,
});
const at = (seq: number) => joinCursor([formatPart({ epoch: EPOCH, seq })]);

Deno.test("a channel numbers its events 1, 2, 3 and reports them delivered", async () => {
  const ch = channel();
  const reader = open(ch);
  assert.deepEqual(ch.publish(note(1), 100), {
    seq: 1,
    duplicate: false,
    delivered: 1,
  });
  assert.deepEqual(ch.publish(note(2), 100).seq, 2);
  assert.deepEqual(ch.publish(note(3), 100).seq, 3);
  await flush();
  assert.deepEqual(reader.ids(), [at(0), at(1), at(2), at(3)]);
  assert.deepEqual(reader.data("notification"), [
    { id: "n1" },
    { id: "n2" },
    { id: "n3" },
  ]);
  await reader.cancel();
});

Deno.test("a new subscriber gets retry and connected at once, positioned at the last seq", async () => {
  const ch = channel();
  ch.publish(note(1), 100);
  const reader = open(ch);
  await flush();
  assert.deepEqual(
    reader.text(),
    `retry: 2000\n\nevent: connected\ndata: {"channels":["user:alice"]}\nid: ${
      at(1)
    }\n\n`,
  );
  await reader.cancel();
});

Deno.test("a subscriber with a cursor gets exactly the missed events, then live ones", async () => {
  const ch = channel();
  for (let n = 1; n <= 5; n++) ch.publish(note(n), 100);
  const reader = open(ch, { cursor: at(2) });
  ch.publish(note(6), 100);
  await flush();
  assert.deepEqual(reader.data("notification"), [
    { id: "n3" },
    { id: "n4" },
    { id: "n5" },
    { id: "n6" },
  ]);
  assert.deepEqual(reader.ids(), [at(2), at(3), at(4), at(5), at(6)]);
  await reader.cancel();
});

Deno.test("a cursor older than the log gets connected without a position, then reset", async () => {
  const ch = channel();
  for (let n = 1; n <= 10; n++) ch.publish(note(n), 3);
  const reader = open(ch, { cursor: at(2) });
  ch.publish(note(11), 3);
  await flush();
  assert.deepEqual(reader.ids(), ["1", at(10), at(11)]);
  assert.deepEqual(reader.data("reset"), [{ channel: "user:alice" }]);
  assert.deepEqual(reader.data("notification"), [{ id: "n11" }]);
  await reader.cancel();
});

Deno.test("a foreign cursor gets a reset, not a guess", async () => {
  const ch = channel();
  ch.publish(note(1), 100);
  const foreign = joinCursor([formatPart({ epoch: "Other_01", seq: 1 })]);
  for (const cursor of [foreign, "garbage"]) {
    const reader = open(ch, { cursor });
    await flush();
    assert.deepEqual(reader.data("reset").length, 1, cursor);
    await reader.cancel();
  }
});

Deno.test("a key already in the log is a duplicate: nothing stored or sent", async () => {
  const ch = channel();
  const reader = open(ch);
  const first = ch.publish(note(1, "k1"), 100);
  const again = ch.publish(note(1, "k1"), 100);
  assert.deepEqual(again, { seq: first.seq, duplicate: true, delivered: 0 });
  assert.deepEqual(ch.status().logSize, 1);
  await flush();
  assert.deepEqual(reader.data("notification").length, 1);
  await reader.cancel();
});

Deno.test("a full channel refuses one more subscriber until one leaves", async () => {
  const ch = channel();
  const a = open(ch, { maxSubscribers: 2 });
  const b = open(ch, { maxSubscribers: 2 });
  assert.deepEqual(ch.subscribe(options({ maxSubscribers: 2 })), {
    ok: false,
    reason: "full",
  });
  await a.cancel();
  const c = open(ch, { maxSubscribers: 2 });
  await b.cancel();
  await c.cancel();
});

Deno.test("status() reports subscribers, log size and last seq", async () => {
  const ch = channel("topic:news");
  for (let n = 1; n <= 7; n++) ch.publish(note(n), 5);
  const reader = open(ch);
  assert.deepEqual(ch.status(), {
    name: "topic:news",
    subscribers: 1,
    logSize: 5,
    lastSeq: 7,
  });
  await reader.cancel();
  assert.deepEqual(ch.status().subscribers, 0);
});

Deno.test("every id a channel writes is a one-part cursor of its own epoch", async () => {
  const ch = channel();
  const reader = open(ch);
  ch.publish(note(1), 100);
  await flush();
  for (const id of reader.ids()) {
    assert.deepEqual(decodeCursor(id)?.map((p) => p.epoch), [EPOCH]);
  }
  await reader.cancel();
});
