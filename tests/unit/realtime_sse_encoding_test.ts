import assert from "node:assert/strict";
import {
  encodeBody,
  encodeFrame,
  HEARTBEAT,
  isPublishableEvent,
  retryBlock,
  sseFrame,
} from "../../src/realtime/core/sse_encoding.ts";
import {
  HEARTBEAT_MESSAGE,
  PING,
  wsMessage,
} from "../../src/realtime/core/ws_encoding.ts";

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

Deno.test("sseFrame() is one whole event", () => {
  assert.deepEqual(
    sseFrame("count", '{"unread":2}', "1.q"),
    'event: count\ndata: {"unread":2}\nid: 1.q\n\n',
  );
});

Deno.test("wsMessage() is the same event as one JSON object", () => {
  const text = wsMessage("notification", '{"id":"n\\"1","t":[1]}', "1.x");
  assert.deepEqual(JSON.parse(text), {
    id: "1.x",
    event: "notification",
    data: { id: 'n"1', t: [1] },
  });
  assert.deepEqual(JSON.parse(HEARTBEAT_MESSAGE), {
    id: null,
    event: "hb",
    data: null,
  });
  assert.deepEqual(JSON.parse(PING), { event: "ping" });
});
