import assert from "node:assert/strict";
import { Subscriber } from "../../src/realtime/core/subscriber.ts";
import { SubscriberRegistry } from "../../src/realtime/core/subscriber_registry.ts";
import { flush, ManualClock } from "../support/manual_clock.ts";
import { collect } from "../support/stream_collector.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

function subscriber(maxBufferedBytes = 1024) {
  const gone: string[] = [];
  const sub = new Subscriber({
    maxBufferedBytes,
    onGone: (_, reason) => gone.push(reason),
  });
  return { sub, gone };
}

Deno.test("a subscriber that cancels its stream is gone, once", async () => {
  const { sub, gone } = subscriber();
  await sub.stream.cancel();
  assert.deepEqual(gone, ["cancelled"]);
  assert.deepEqual(sub.write(bytes("x")), false);
  assert.deepEqual(gone, ["cancelled"]);
});

Deno.test("a subscriber whose unread bytes pass its allowance is dropped", () => {
  const { sub, gone } = subscriber(10);
  assert.ok(sub.write(bytes("12345")));
  assert.ok(sub.write(bytes("12345")));
  assert.deepEqual(sub.queued, 10);
  assert.deepEqual(sub.write(bytes("1")), false);
  assert.deepEqual(gone, ["overflow"]);
});

Deno.test("the opening chunk widens the allowance instead of using it up", () => {
  const { sub, gone } = subscriber(10);
  assert.ok(sub.open(bytes("x".repeat(500))));
  assert.ok(sub.write(bytes("123456789")));
  assert.deepEqual(gone, []);
});

Deno.test("a reader that keeps reading survives every heartbeat", async () => {
  const { sub, gone } = subscriber();
  const reader = collect(sub.stream);
  sub.write(bytes("data"));
  for (let i = 0; i < 5; i++) {
    await flush();
    assert.ok(sub.heartbeat());
  }
  await flush();
  assert.deepEqual(gone, []);
  assert.match(reader.text(), /^data(: hb\n\n){5}$/);
  await reader.cancel();
});

Deno.test("a reader that reads nothing for a whole heartbeat is dropped as stalled", async () => {
  const { sub, gone } = subscriber();
  sub.write(bytes("event"));
  assert.ok(sub.heartbeat()); // the baseline: progress is measured from here
  assert.deepEqual(sub.heartbeat(), false);
  assert.deepEqual(gone, ["stalled"]);
  // error() discarded the queue: reading now fails instead of draining it.
  await assert.rejects(sub.stream.getReader().read());
});

Deno.test("a slow reader draining a backlog is not stalled", async () => {
  const { sub, gone } = subscriber();
  for (let i = 0; i < 4; i++) sub.write(bytes("chunk"));
  const reader = sub.stream.getReader();
  assert.ok(sub.heartbeat());
  await reader.read(); // one chunk read: progress, though the queue is not empty
  assert.ok(sub.heartbeat());
  assert.deepEqual(gone, []);
  await reader.cancel();
});

Deno.test("end() closes the stream after what is queued", async () => {
  const { sub, gone } = subscriber();
  sub.write(bytes("last words"));
  sub.end();
  const reader = collect(sub.stream);
  assert.deepEqual(await reader.ended, "closed");
  assert.deepEqual(reader.text(), "last words");
  assert.deepEqual(gone, ["ended"]);
});

Deno.test("the registry tells each subscriber's own listener when it goes", async () => {
  const registry = new SubscriberRegistry({ clock: new ManualClock() });
  const gone: string[] = [];
  const a = registry.create(1000, 1024, () => gone.push("a"));
  registry.create(1000, 1024, () => gone.push("b"));
  await a.stream.cancel();
  assert.deepEqual(gone, ["a"]);
  assert.deepEqual(registry.size, 1);
  registry.closeAll();
  assert.deepEqual(gone, ["a", "b"]);
});

Deno.test("one heartbeat timer per interval, stopped when its last subscriber leaves", async () => {
  const clock = new ManualClock();
  const sizes: number[] = [];
  const registry = new SubscriberRegistry({
    clock,
    onChange: (n) => sizes.push(n),
  });
  const a = collect(registry.create(100, 1024).stream);
  const b = collect(registry.create(100, 1024).stream);
  const c = collect(registry.create(250, 1024).stream);
  assert.deepEqual(clock.pending, 2);
  await clock.advance(500);
  assert.deepEqual(a.text(), ": hb\n\n".repeat(5));
  assert.deepEqual(c.text(), ": hb\n\n".repeat(2));
  await a.cancel();
  await b.cancel();
  assert.deepEqual(clock.pending, 1);
  await c.cancel();
  assert.deepEqual(clock.pending, 0);
  assert.deepEqual(sizes, [1, 2, 3, 2, 1, 0]);
});

Deno.test("the heartbeat removes a subscriber that stopped reading", async () => {
  const clock = new ManualClock();
  const registry = new SubscriberRegistry({ clock });
  const reading = collect(registry.create(100, 1024).stream);
  registry.create(100, 1024); // never read
  await clock.advance(200);
  assert.deepEqual(registry.size, 1);
  await reading.cancel();
  assert.deepEqual(clock.pending, 0);
});
