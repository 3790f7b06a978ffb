import type { Clock } from "../core/clock.ts";
import { encodeText } from "../core/sse_encoding.ts";
import { SubscriberRegistry } from "../core/subscriber_registry.ts";

/** The part of a Worker's WebSocket the bridge uses (a seam for tests). */
export interface BridgeSocket {
  binaryType: string;
  accept(): void;
  addEventListener(
    type: "message",
    listener: (event: { data: unknown }) => void,
  ): void;
  addEventListener(type: "close" | "error", listener: () => void): void;
  close(code?: number, reason?: string): void;
}

export interface BridgeOptions {
  heartbeatMs: number;
  maxBufferedBytes: number;
  clock?: Clock;
}

/**
 * An SSE stream fed by one WebSocket to a shard. The shard sends SSE bytes
 * already (binary messages, encoded once per event for all its readers), so
 * each message is written as it comes: the first — retry, `connected` and
 * any replay — opens the stream, every later one is an event.
 *
 * The Worker, not the shard, keeps the SSE side alive and honest: it writes
 * the heartbeat comments (a shard with a timer could never hibernate) and
 * drops a reader that cancels, stops reading or falls too far behind
 * (`Subscriber`); then it closes the socket, which is how the shard learns
 * the connection is gone. When the shard's side closes (the object was
 * reset or redeployed), the stream ends and EventSource reconnects with its
 * last id, losing nothing.
 */
export function bridgeToSse(
  socket: BridgeSocket,
  options: BridgeOptions,
): ReadableStream<Uint8Array> {
  const closeSocket = () => {
    try {
      socket.close(1000, "Reader gone");
    } catch {
      // Already closed.
    }
  };
  // One registry per connection: a Worker may only touch a request's
  // stream from that request's own timers.
  const registry = new SubscriberRegistry({
    clock: options.clock,
    onChange: (size) => size === 0 && closeSocket(),
  });
  const out = registry.create(options.heartbeatMs, options.maxBufferedBytes);
  let opened = false;
  socket.addEventListener("message", ({ data }) => {
    const bytes = typeof data === "string"
      ? encodeText(data)
      : data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : null;
    if (bytes === null) return;
    if (opened) {
      out.write(bytes);
    } else {
      opened = true;
      out.open(bytes);
    }
  });
  socket.addEventListener("close", () => out.end());
  socket.addEventListener("error", () => out.end());
  // Standard WebSockets hand binary messages over as Blobs, which would
  // cost an await per event; bytes are what the stream writes.
  socket.binaryType = "arraybuffer";
  socket.accept();
  return out.stream;
}
