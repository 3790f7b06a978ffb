import { z } from "zod";

/**
 * A test-side reader for Herald's WebSocket stream over a real socket: each
 * message is parsed as `{id, event, data}` (zod, sharing no code with
 * Herald's encoder). Items come out like SseReader's events — `data` as
 * JSON text — so one test case can read either transport. Like a real
 * client it pings at the interval `connected` names, so the server keeps it.
 */
export type WsItem =
  | { type: "event"; event: string; data: string; id: string | null }
  | { type: "heartbeat" };

const message = z.object({
  id: z.string().nullable(),
  event: z.string(),
  data: z.unknown(),
});

export const PING = '{"event":"ping"}';

export class WsReader {
  readonly #socket: WebSocket;
  readonly #items: WsItem[] = [];
  #wake: (() => void) | null = null;
  #closed = false;
  #pinger: ReturnType<typeof setInterval> | null = null;
  /** Messages that did not parse: a wire-format mistake. */
  readonly malformed: string[] = [];
  readonly closedWith: Promise<{ code: number; reason: string }>;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    const closed = Promise.withResolvers<{ code: number; reason: string }>();
    this.closedWith = closed.promise;
    socket.addEventListener("message", (event) => {
      const text = String(event.data);
      let parsed;
      try {
        parsed = message.safeParse(JSON.parse(text));
      } catch {
        parsed = null;
      }
      if (!parsed?.success) this.malformed.push(text);
      else if (parsed.data.event === "hb") {
        this.#items.push({ type: "heartbeat" });
      } else {
        if (parsed.data.event === "connected") {
          this.#startPinging(parsed.data.data);
        }
        this.#items.push({
          type: "event",
          event: parsed.data.event,
          data: JSON.stringify(parsed.data.data),
          id: parsed.data.id,
        });
      }
      this.#wake?.();
    });
    socket.addEventListener("close", (event) => {
      this.#closed = true;
      if (this.#pinger !== null) clearInterval(this.#pinger);
      closed.resolve({ code: event.code, reason: event.reason });
      this.#wake?.();
    });
  }

  /** Opens a socket and resolves once it is open; rejects if it fails. */
  static open(url: string): Promise<WsReader> {
    const socket = new WebSocket(url);
    const reader = new WsReader(socket);
    return new Promise((resolve, reject) => {
      socket.addEventListener("open", () => resolve(reader), { once: true });
      socket.addEventListener(
        "error",
        () => reject(new Error(`WebSocket to ${url} failed`)),
        { once: true },
      );
    });
  }

  /** The next item, or null once the socket has closed. */
  async next(timeoutMs = 5000): Promise<WsItem | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.#items.length === 0) {
      if (this.#closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`No WebSocket message within ${timeoutMs} ms`);
      }
      const woken = Promise.withResolvers<void>();
      this.#wake = woken.resolve;
      const timer = setTimeout(woken.resolve, left);
      await woken.promise;
      clearTimeout(timer);
      this.#wake = null;
    }
    return this.#items.shift() ?? null;
  }

  /** The next event, skipping heartbeats. */
  async nextEvent(timeoutMs = 5000) {
    for (;;) {
      const item = await this.next(timeoutMs);
      if (item === null) return null;
      if (item.type === "event") return item;
    }
  }

  ping(): void {
    this.#socket.send(PING);
  }

  #startPinging(data: unknown): void {
    const interval = z.object({ heartbeatMs: z.number() }).safeParse(data);
    if (!interval.success || this.#pinger !== null) return;
    this.#pinger = setInterval(() => this.ping(), interval.data.heartbeatMs);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#socket.close(1000, "Test done");
    await this.closedWith;
  }
}
