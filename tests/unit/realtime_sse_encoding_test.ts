import assert from "node:assert/strict";
import { FrameSplitter } from "../../src/realtime/frame_splitter.ts";
import {
  encodeBody,
  encodeFrame,
  encodeText,
  HEARTBEAT,
  isPublishableEvent,
  retryBlock,
} from "../../src/realtime/sse_encoding.ts";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("encodeFrame() writes event, data, then the id last", () => {
  const frame = encodeFrame(encodeBody("notification", '{"id":"n1"}'), "1.x");
  assert.deepEqual(
    frame,
    'event: notification\ndata: {"id":"n1"}\nid: 1.x\n\n',
  );
});

Deno.test("encodeBody() splits line breaks in data into data lines", () => {
  assert.deepEqual(
    encodeBody("note", "a\nb\r\nc\rd"),
    "event: note\ndata: a\ndata: b\ndata: c\ndata: d\n",
  );
  assert.throws(() => encodeBody("bad\nname", "{}"));
});

Deno.test("retryBlock() and HEARTBEAT are a field block and a comment", () => {
  assert.deepEqual(retryBlock(2500), "retry: 2500\n\n");
  assert.deepEqual(decode(HEARTBEAT), ": hb\n\n");
});

Deno.test("isPublishableEvent() accepts tokens and refuses Herald's own names", () => {
  for (const ok of ["notification", "count", "digest.ready", "a-b_c:d"]) {
    assert.ok(isPublishableEvent(ok), ok);
  }
  for (const bad of ["", "connected", "reset", "error", "open", "1x", "a b"]) {
    assert.ok(!isPublishableEvent(bad), bad);
  }
});

Deno.test("FrameSplitter cuts frames at blank lines wherever chunks break", () => {
  const text = "retry: 10\n\n" +
    encodeFrame(encodeBody("connected", "{}"), "1.a") +
    ": hb\n\n" +
    encodeFrame(encodeBody("count", '{"unread":2}'), "1.b");
  const bytes = encodeText(text);
  // Every way of cutting the bytes in two yields the same frames.
  for (let cut = 0; cut <= bytes.length; cut++) {
    const splitter = new FrameSplitter();
    const frames = [
      ...splitter.push(bytes.subarray(0, cut)),
      ...splitter.push(bytes.subarray(cut)),
    ];
    const events = frames.flatMap((f) =>
      f.kind === "event" ? [{ body: decode(f.body), id: f.id }] : []
    );
    assert.deepEqual(frames.length, 4, `cut at ${cut}`);
    assert.deepEqual(events, [
      { body: "event: connected\ndata: {}\n", id: "1.a" },
      { body: 'event: count\ndata: {"unread":2}\n', id: "1.b" },
    ]);
  }
});

Deno.test("FrameSplitter keeps an unfinished frame for the next chunk", () => {
  const splitter = new FrameSplitter();
  assert.deepEqual(splitter.push(encodeText("event: a\ndata: 1\nid: 1")), []);
  const [frame] = splitter.push(encodeText(".q\n\n"));
  assert.ok(frame?.kind === "event");
  assert.deepEqual(frame.id, "1.q");
});
