import { parsePayload } from "./stream_events.ts";

/** What a listener gets: EventSource's MessageEvent has these two. */
export interface StreamMessage {
  data: unknown;
  lastEventId: string;
}

/** The part of EventSource the client uses (a seam for tests). */
export interface EventSourceLike {
  addEventListener(
    type: string,
    listener: (event: StreamMessage) => void,
  ): void;
  close(): void;
}

/** The part of a browser WebSocket the adapter uses (a seam for tests). */
export interface WebSocketLike {
  addEventListener(
    type: "open" | "message" | "close" | "error",
    listener: (event: { data?: unknown }) => void,
  ): void;
  send(text: string): void;
  close(code?: number, reason?: string): void;
}

export interface SocketSourceOptions {
  /** Runs `fn` every `ms` until the returned function is called (tests). */
  every?: (fn: () => void, ms: number) => () => void;
  now?: () => number;
}

const PING = '{"event":"ping"}';
/** No message for this many heartbeats: the connection is dead. */
const MISSED_HEARTBEATS = 3;

/**
 * Herald's WebSocket stream as an EventSource: each message
 * `{id, event, data}` is dispatched as an event named `event` with the
 * data as JSON text and `lastEventId` = `id`, so the client handles both
 * transports with the same code. It also does what the server cannot do
 * for a hibernating socket: it pings every `heartbeatMs` (told in
 * `connected`), and reports an `error` — which makes the client reconnect
 * and resume — when the socket closes or when nothing, not even a
 * heartbeat, has come back for three intervals.
 */
export function socketSource(
  socket: WebSocketLike,
  options: SocketSourceOptions = {},
): EventSourceLike {
  const every = options.every ?? ((fn: () => void, ms: number) => {
    const id = setInterval(fn, ms);
    return () => clearInterval(id);
  });
  const now = options.now ?? (() => Date.now());
  const listeners = new Map<string, ((event: StreamMessage) => void)[]>();
  const emit = (type: string, event: StreamMessage) => {
    for (const listener of listeners.get(type) ?? []) listener(event);
  };
  let stopBeating: (() => void) | null = null;
  let lastHeard = now();
  let done = false;
  const finish = (failed: boolean) => {
    if (done) return;
    done = true;
    stopBeating?.();
    stopBeating = null;
    if (failed) emit("error", { data: undefined, lastEventId: "" });
  };

  socket.addEventListener("message", ({ data }) => {
    lastHeard = now();
    const message = typeof data === "string" ? parsePayload(data) : null;
    if (!message || typeof message.event !== "string") return;
    if (message.event === "hb") return;
    const id = typeof message.id === "string" ? message.id : "";
    if (message.event === "connected" && stopBeating === null) {
      const interval = parsePayload(JSON.stringify(message.data))
        ?.heartbeatMs;
      if (typeof interval === "number" && interval > 0) {
        stopBeating = every(() => {
          if (now() - lastHeard > MISSED_HEARTBEATS * interval) {
            socket.close(4000, "Heartbeat missed");
            finish(true);
          } else socket.send(PING);
        }, interval);
      }
    }
    emit(message.event, {
      data: JSON.stringify(message.data),
      lastEventId: id,
    });
  });
  socket.addEventListener("close", () => finish(true));
  socket.addEventListener("error", () => finish(true));

  return {
    addEventListener(type, listener) {
      listeners.set(type, [...(listeners.get(type) ?? []), listener]);
    },
    close() {
      finish(false);
      socket.close(1000, "Closed by the client");
    },
  };
}
