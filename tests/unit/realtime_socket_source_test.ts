import assert from "node:assert/strict";
import {
  socketSource,
  type StreamMessage,
  type WebSocketLike,
} from "../../src/client/socket_source.ts";
import { socketUrl } from "../../src/client/stream_events.ts";

/** A scripted WebSocket: the test delivers messages and closes into it. */
class FakeSocket implements WebSocketLike {
  sent: string[] = [];
  closedWith: number | null = null;
  readonly #listeners = new Map<string, ((e: { data?: unknown }) => void)[]>();
  addEventListener(type: string, listener: (e: { data?: unknown }) => void) {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }
  send(text: string) {
    this.sent.push(text);
  }
  close(code = 1000) {
    this.closedWith = code;
  }
  deliver(message: unknown) {
    this.#emit("message", { data: JSON.stringify(message) });
  }
  drop() {
    this.#emit("close", {});
  }
  #emit(type: string, event: { data?: unknown }) {
    for (const listener of this.#listeners.get(type) ?? []) listener(event);
  }
}

/** A clock and one interval the test runs by hand. */
function timers() {
  let now = 0;
  let tick: (() => void) | null = null;
  return {
    options: {
      now: () => now,
      every: (fn: () => void) => {
        tick = fn;
        return () => (tick = null);
      },
    },
    advance(ms: number) {
      now += ms;
      tick?.();
    },
    get running() {
      return tick !== null;
    },
  };
}

function listen(source: ReturnType<typeof socketSource>, types: string[]) {
  const seen: [string, StreamMessage][] = [];
  for (const type of types) {
    source.addEventListener(type, (event) => seen.push([type, event]));
  }
  return seen;
}

Deno.test("socketSource() dispatches each message as an event with its id and JSON data", () => {
  const socket = new FakeSocket();
  const seen = listen(socketSource(socket, timers().options), [
    "connected",
    "notification",
  ]);
  socket.deliver({ id: "1.AbCd_-120", event: "connected", data: {} });
  socket.deliver({ id: "1.AbCd_-121", event: "notification", data: { id: 1 } });
  socket.deliver({ id: null, event: "hb", data: null });
  socket.deliver("not an object");
  assert.deepEqual(seen, [
    ["connected", { data: "{}", lastEventId: "1.AbCd_-120" }],
    ["notification", { data: '{"id":1}', lastEventId: "1.AbCd_-121" }],
  ]);
});

Deno.test("socketSource() pings at the interval connected names, and reports a silent socket", () => {
  const socket = new FakeSocket();
  const clock = timers();
  const seen = listen(socketSource(socket, clock.options), ["error"]);
  socket.deliver({ id: "1", event: "connected", data: { heartbeatMs: 100 } });
  clock.advance(100);
  clock.advance(100);
  assert.deepEqual(socket.sent, ['{"event":"ping"}', '{"event":"ping"}']);
  socket.deliver({ id: null, event: "hb", data: null }); // heard at 200
  clock.advance(300); // 500: 300 since heard, not more than three beats
  assert.deepEqual(seen.length, 0);
  clock.advance(1); // 501: silent for more than three beats
  assert.deepEqual(seen.map(([type]) => type), ["error"]);
  assert.deepEqual(socket.closedWith, 4000);
  assert.ok(!clock.running);
});

Deno.test("socketSource() reports a closed socket once, and nothing after close()", () => {
  const socket = new FakeSocket();
  const source = socketSource(socket, timers().options);
  const seen = listen(source, ["error"]);
  socket.drop();
  socket.drop();
  assert.deepEqual(seen.length, 1);
  const other = new FakeSocket();
  const closing = socketSource(other, timers().options);
  const quiet = listen(closing, ["error"]);
  closing.close();
  other.drop();
  assert.deepEqual(quiet, []);
  assert.deepEqual(other.closedWith, 1000);
});

Deno.test("socketUrl() turns the stream URL into its WebSocket form", () => {
  assert.deepEqual(
    socketUrl("https://h.example/v1/stream?token=t"),
    "wss://h.example/v1/stream?token=t",
  );
  assert.deepEqual(
    socketUrl("http://127.0.0.1:8787/v1/stream?token=t&lastEventId=1.x"),
    "ws://127.0.0.1:8787/v1/stream?token=t&lastEventId=1.x",
  );
});
