/**
 * Many SSE or WebSocket subscribers on raw loopback TCP, kept as lean as a
 * load generator on a 2-core machine must be: one `Deno.connect` and one
 * 4 KiB read buffer per subscriber, a hand-written HTTP/1.1 GET (with the
 * upgrade headers for a WebSocket), and no parsing at all — each read is
 * only scanned for the markers that are awaited (a unique string in the
 * event's payload). Chunked transfer framing and WebSocket frames are never
 * decoded: servers write an event in one chunk or frame, and a marker split
 * across two reads is still found (the scan carries the previous read's
 * last bytes). WebSocket subscribers can ping as Herald's client does.
 *
 * The same code subscribes to Herald, to the workerd floor and to the
 * nchan peer, so the client's own cost is in every figure alike.
 */

const encoder = new TextEncoder();
const READ_BUFFER_BYTES = 4096;
const PING_SLICES = 16;
/**
 * Herald's ping as a client's WebSocket frame: FIN + text, masked (as every
 * client frame must be) with a zero key, so the payload is as written.
 */
const PING_FRAME = (() => {
  const payload = encoder.encode('{"event":"ping"}');
  const frame = new Uint8Array(6 + payload.length);
  frame.set([0x81, 0x80 | payload.length, 0, 0, 0, 0]);
  frame.set(payload, 6);
  return frame;
})();

export interface SubscriberSpec {
  /** Path and query, e.g. "/v1/stream" or "/sub?c=u1,r1". */
  path: string;
  headers?: Record<string, string>;
  /** Upgrade to a WebSocket (expects 101) instead of reading SSE (200). */
  websocket?: boolean;
}

export interface OpenOptions {
  hostname: string;
  port: number;
  /** Bytes that show a subscriber is live (e.g. "event: connected"). */
  readyMarker: string;
  /** Connections being opened at once. */
  concurrency?: number;
  /** For the whole open. */
  timeoutMs?: number;
  /**
   * WebSocket subscribers ping this often from the moment they open, as
   * Herald's client does (a shard closes sockets that stop pinging).
   */
  pingEveryMs?: number;
}

/** Arrival times (performance.now(), ms) of one marker, by member order. */
export interface Arrivals {
  /** Per member; NaN for one that never got it (only after a timeout). */
  at: Float64Array;
  received: number;
}

interface Watch {
  pattern: Uint8Array;
  done: (at: number) => void;
}

interface Sub {
  conn: Deno.TcpConn;
  websocket: boolean;
  /** Markers awaited on this subscriber alone (see `watch`). */
  watches: Watch[];
  buf: Uint8Array;
  /** Last bytes of the previous read, for a marker split across reads. */
  carry: Uint8Array;
  /** Index in the current expectation's members, or -1. */
  slot: number;
  /** Not yet seen the HTTP status line. */
  fresh: boolean;
  closed: boolean;
}

interface Expectation {
  pattern: Uint8Array;
  at: Float64Array;
  pending: number;
  done: PromiseWithResolvers<void>;
}

export class SseFleet {
  readonly #subs: Sub[] = [];
  #expecting: Expectation | null = null;
  #lastByteAt = performance.now();
  #bytes = 0;
  #reads = 0;
  #closedUnexpectedly = 0;
  #closing = false;
  #pinger: ReturnType<typeof setInterval> | null = null;
  /** Opened, not yet in #subs (an `add` is under way). */
  readonly #opening = new Set<Sub>();

  private constructor() {}

  /**
   * Opens one subscriber per spec and resolves once every one of them has
   * answered 200 and sent `readyMarker`. Throws (and closes what it opened)
   * on the first refusal, with the status line and the start of the body.
   */
  static async open(
    specs: readonly SubscriberSpec[],
    options: OpenOptions,
  ): Promise<SseFleet> {
    const fleet = new SseFleet();
    if (options.pingEveryMs) fleet.startPinging(options.pingEveryMs);
    try {
      await fleet.add(specs, options);
    } catch (error) {
      fleet.close();
      throw error;
    }
    return fleet;
  }

  get size(): number {
    return this.#subs.length;
  }

  /** Bytes read so far, over all subscribers. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Reads that returned data, over all subscribers (after opening). */
  get reads(): number {
    return this.#reads;
  }

  /** Subscribers whose server closed the stream (never expected). */
  get closedUnexpectedly(): number {
    return this.#closedUnexpectedly;
  }

  /**
   * Opens more subscribers; their indices follow the existing ones, in the
   * order of `specs` (whatever order they finish opening in).
   */
  async add(specs: readonly SubscriberSpec[], options: OpenOptions) {
    const concurrency = options.concurrency ?? 32;
    const deadline = performance.now() + (options.timeoutMs ?? 120_000);
    const base = this.#subs.length;
    const opened: Sub[] = [];
    let next = 0;
    const worker = async () => {
      while (next < specs.length) {
        const k = next++;
        const spec = specs[k]!;
        if (this.#closing) return;
        if (performance.now() > deadline) {
          throw new Error(`Opening subscribers timed out at ${base + k}`);
        }
        const sub = await this.#openOne(spec, options);
        if (sub) {
          opened[k] = sub;
          this.#opening.add(sub);
        }
      }
    };
    try {
      await Promise.all(
        Array.from({ length: Math.min(concurrency, specs.length) }, worker),
      );
    } finally {
      // Whatever opened is the fleet's, so close() reaches it on failure.
      for (const sub of opened) if (sub) this.#subs.push(sub);
      this.#opening.clear();
    }
  }

  /**
   * Starts waiting for `marker` on `members` (indices; all by default).
   * Call it BEFORE sending what produces the marker. Resolves when every
   * member has it; after `timeoutMs` it resolves with what arrived (NaN
   * for the rest) so a bench can report a loss instead of hanging.
   */
  expect(
    marker: string,
    members: readonly number[] | null = null,
    timeoutMs = 30_000,
  ): Promise<Arrivals> {
    if (this.#expecting) throw new Error("One expectation at a time");
    const list = members ?? this.#subs.map((_, i) => i);
    const expectation: Expectation = {
      pattern: encoder.encode(marker),
      at: new Float64Array(list.length).fill(NaN),
      pending: list.length,
      done: Promise.withResolvers<void>(),
    };
    list.forEach((index, slot) => {
      const sub = this.#subs[index];
      if (!sub) throw new Error(`No subscriber ${index}`);
      sub.slot = slot;
      sub.carry = new Uint8Array(0);
    });
    this.#expecting = expectation;
    if (list.length === 0) expectation.done.resolve();
    const timer = setTimeout(() => expectation.done.resolve(), timeoutMs);
    return expectation.done.promise.then(() => {
      clearTimeout(timer);
      this.#expecting = null;
      for (const index of list) this.#subs[index]!.slot = -1;
      return {
        at: expectation.at,
        received: list.length - expectation.pending,
      };
    });
  }

  /**
   * Resolves with the arrival time of `marker` on subscriber `index` alone,
   * or NaN after `timeoutMs`. Any number may be pending at once, on any
   * subscribers (an open-loop load: events to random users). Arm it BEFORE
   * sending what produces the marker.
   */
  watch(index: number, marker: string, timeoutMs = 30_000): Promise<number> {
    const sub = this.#subs[index];
    if (!sub) throw new Error(`No subscriber ${index}`);
    return new Promise((resolve) => {
      const watch: Watch = {
        pattern: encoder.encode(marker),
        done: (at) => {
          clearTimeout(timer);
          sub.watches.splice(sub.watches.indexOf(watch), 1);
          resolve(at);
        },
      };
      const timer = setTimeout(() => watch.done(NaN), timeoutMs);
      sub.watches.push(watch);
    });
  }

  /**
   * Sends Herald's ping from every WebSocket subscriber every `everyMs`, as
   * the browser client does (a shard closes sockets that stop pinging).
   */
  startPinging(everyMs: number): void {
    // Spread over the interval, as independent clients' pings are: one
    // sixteenth of the sockets per tick, not all of them at once.
    let tick = 0;
    this.#pinger ??= setInterval(() => {
      const slice = tick++ % PING_SLICES;
      let k = 0;
      for (const sub of [...this.#subs, ...this.#opening]) {
        if (k++ % PING_SLICES !== slice) continue;
        if (sub.websocket && !sub.closed) {
          sub.conn.write(PING_FRAME).catch(() => {});
        }
      }
    }, everyMs / PING_SLICES);
  }

  /**
   * Waits until no subscriber has read anything for `quietMs` (background
   * work of the previous round — unread counts, say — has gone out), or
   * `maxMs` passed. Returns how long it waited.
   */
  async quiet(quietMs: number, maxMs = 10_000): Promise<number> {
    const started = performance.now();
    for (;;) {
      const now = performance.now();
      const idle = now - this.#lastByteAt;
      if (idle >= quietMs || now - started >= maxMs) return now - started;
      await new Promise((r) => setTimeout(r, Math.max(1, quietMs - idle)));
    }
  }

  close(): void {
    this.#closing = true;
    if (this.#pinger !== null) clearInterval(this.#pinger);
    for (const sub of this.#subs) {
      if (sub.closed) continue;
      sub.closed = true;
      try {
        sub.conn.close();
      } catch {
        // Already closed by the peer.
      }
    }
  }

  async #openOne(
    spec: SubscriberSpec,
    options: OpenOptions,
  ): Promise<Sub | null> {
    const conn = await Deno.connect({
      hostname: options.hostname,
      port: options.port,
    });
    conn.setNoDelay(true);
    const websocket = spec.websocket ?? false;
    const sub: Sub = {
      conn,
      websocket,
      watches: [],
      buf: new Uint8Array(READ_BUFFER_BYTES),
      carry: new Uint8Array(0),
      slot: -1,
      fresh: true,
      closed: false,
    };
    let head =
      `GET ${spec.path} HTTP/1.1\r\nHost: ${options.hostname}:${options.port}\r\n` +
      (websocket
        ? "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        : "Accept: text/event-stream\r\nCache-Control: no-cache\r\n");
    for (const [name, value] of Object.entries(spec.headers ?? {})) {
      head += `${name}: ${value}\r\n`;
    }
    await writeAll(conn, encoder.encode(head + "\r\n"));
    // Until it is live, read here (no marker race with rounds: none run).
    const ready = encoder.encode(options.readyMarker);
    let seen: Uint8Array = new Uint8Array(0);
    for (;;) {
      const n = await conn.read(sub.buf);
      if (n === null) {
        conn.close();
        throw new Error(
          `Subscriber closed before ready: ${preview(seen)}`,
        );
      }
      seen = concatBytes(seen, sub.buf.subarray(0, n));
      if (sub.fresh && seen.byteLength >= 12) {
        sub.fresh = false;
        const status = new TextDecoder().decode(seen.subarray(0, 12));
        if (status !== (websocket ? "HTTP/1.1 101" : "HTTP/1.1 200")) {
          // Let the rest of a short error body arrive for the message.
          await new Promise((r) => setTimeout(r, 50));
          const more = await Promise.race([
            conn.read(sub.buf).then((m) => m ?? 0),
            new Promise<number>((r) => setTimeout(() => r(0), 200)),
          ]);
          seen = concatBytes(seen, sub.buf.subarray(0, more));
          conn.close();
          throw new Error(`Subscriber refused: ${preview(seen)}`);
        }
      }
      if (indexOf(seen, ready, 0) >= 0) break;
      if (seen.byteLength > 64 * 1024) {
        conn.close();
        throw new Error(`No ready marker in 64 KiB: ${preview(seen)}`);
      }
    }
    if (this.#closing) {
      // The fleet was closed (another open failed) while this one opened.
      conn.close();
      return null;
    }
    void this.#pump(sub);
    return sub;
  }

  async #pump(sub: Sub): Promise<void> {
    for (;;) {
      let n: number | null;
      try {
        n = await sub.conn.read(sub.buf);
      } catch {
        n = null;
      }
      if (n === null) {
        if (!sub.closed && !this.#closing) this.#closedUnexpectedly++;
        if (!sub.closed) {
          sub.closed = true;
          try {
            sub.conn.close();
          } catch {
            // Gone already.
          }
        }
        return;
      }
      const now = performance.now();
      this.#lastByteAt = now;
      this.#bytes += n;
      this.#reads++;
      const expecting = this.#expecting;
      if (expecting && sub.slot >= 0 && Number.isNaN(expecting.at[sub.slot]!)) {
        if (this.#scan(sub, expecting.pattern, n)) {
          expecting.at[sub.slot] = now;
          if (--expecting.pending === 0) expecting.done.resolve();
        }
      }
      if (sub.watches.length > 0) {
        const chunk = sub.buf.subarray(0, n);
        for (const watch of [...sub.watches]) {
          if (indexOf(chunk, watch.pattern, 0) >= 0) watch.done(now);
        }
      }
    }
  }

  /** The pattern in this read, or straddling the previous one. */
  #scan(sub: Sub, pattern: Uint8Array, n: number): boolean {
    const chunk = sub.buf.subarray(0, n);
    if (indexOf(chunk, pattern, 0) >= 0) return true;
    const keep = pattern.byteLength - 1;
    if (sub.carry.byteLength > 0) {
      const edge = concatBytes(sub.carry, chunk.subarray(0, keep));
      if (indexOf(edge, pattern, 0) >= 0) return true;
    }
    sub.carry = chunk.slice(Math.max(0, n - keep));
    return false;
  }
}

async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array) {
  let off = 0;
  while (off < bytes.byteLength) off += await conn.write(bytes.subarray(off));
}

/** First index of `needle` in `hay` at or after `from`, or -1. */
export function indexOf(
  hay: Uint8Array,
  needle: Uint8Array,
  from: number,
): number {
  const first = needle[0];
  if (first === undefined) return from;
  const last = hay.byteLength - needle.byteLength;
  let i = from;
  while (i <= last) {
    i = hay.indexOf(first, i);
    if (i < 0 || i > last) return -1;
    let j = 1;
    while (j < needle.byteLength && hay[i + j] === needle[j]) j++;
    if (j === needle.byteLength) return i;
    i++;
  }
  return -1;
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}

function preview(bytes: Uint8Array): string {
  return JSON.stringify(new TextDecoder().decode(bytes.subarray(0, 400)));
}
