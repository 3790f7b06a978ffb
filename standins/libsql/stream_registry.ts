/**
 * Hrana streams and their batons (sqld src/hrana/http/stream.rs semantics).
 *
 * A stream owns one SQLite connection. Each response hands out a baton naming
 * the stream and a sequence number; the next request must present exactly that
 * baton, so a replayed or concurrent request is caught as "baton reused". A
 * stream left idle expires: its connection is closed (rolling back whatever
 * transaction it held, which frees the write lock for everybody else).
 */
import { ProtocolError, StreamExpiredError } from "./errors.ts";
import type { ConnectionPool } from "./connection_pool.ts";
import type { SqliteConnection } from "./sqlite_connection.ts";

/** Expired streams are remembered this long so late batons get STREAM_EXPIRED rather than "invalid". */
const EXPIRED_MEMORY_MS = 300_000;
const BATON_PATTERN = /^([0-9a-f]{32})\.([0-9]+)$/;

export class HranaStream {
  #connection: SqliteConnection | null;
  readonly #pool: ConnectionPool;
  /** SQL texts stored with `store_sql`, by id. */
  readonly sqls = new Map<number, string>();

  constructor(
    readonly id: string,
    public seq: number,
    pool: ConnectionPool,
  ) {
    this.#pool = pool;
    this.#connection = pool.take();
  }

  get isClosed(): boolean {
    return this.#connection === null;
  }

  /** The stream's connection; using a stream after `close` is a protocol error. */
  connection(): SqliteConnection {
    if (!this.#connection) {
      throw new ProtocolError("Stream for this baton was closed");
    }
    return this.#connection;
  }

  /** Rolls back what the stream left open and hands its connection back. */
  close(): void {
    if (this.#connection) this.#pool.give(this.#connection);
    this.#connection = null;
  }
}

type Handle =
  | {
    state: "available";
    stream: HranaStream;
    timer: ReturnType<typeof setTimeout>;
  }
  | { state: "acquired"; stream: HranaStream }
  | { state: "expired"; since: number };

export interface StreamRegistryOptions {
  connections: ConnectionPool;
  idleMs: number;
  /** Called after an idle stream expired. */
  onExpired?: () => void;
  log: (line: string) => void;
}

function randomHex(bytes: number): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(bytes)),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

export class StreamRegistry {
  #handles = new Map<string, Handle>();
  #options: StreamRegistryOptions;

  constructor(options: StreamRegistryOptions) {
    this.#options = options;
  }

  /** Opens a new stream (no baton) or takes the one the baton names for this request. */
  acquire(baton: string | null | undefined): HranaStream {
    this.#forgetOldExpired();
    if (baton === null || baton === undefined) {
      const stream = new HranaStream(
        randomHex(16),
        crypto.getRandomValues(new Uint32Array(1))[0] ?? 0,
        this.#options.connections,
      );
      this.#handles.set(stream.id, { state: "acquired", stream });
      return stream;
    }
    const match = BATON_PATTERN.exec(baton);
    const handle = match?.[1] === undefined
      ? undefined
      : this.#handles.get(match[1]);
    if (!match || !handle) throw new ProtocolError("Received an invalid baton");
    if (handle.state === "expired") throw new StreamExpiredError();
    if (handle.state === "acquired" || handle.stream.seq !== Number(match[2])) {
      throw new ProtocolError("Received a baton that has already been used");
    }
    clearTimeout(handle.timer);
    handle.stream.seq++;
    this.#handles.set(handle.stream.id, {
      state: "acquired",
      stream: handle.stream,
    });
    return handle.stream;
  }

  /** Ends a request: returns the next baton, or null when the stream was closed. */
  release(stream: HranaStream): string | null {
    if (stream.isClosed) {
      this.#handles.delete(stream.id);
      return null;
    }
    const timer = setTimeout(
      () => this.#expire(stream.id),
      this.#options.idleMs,
    );
    this.#handles.set(stream.id, { state: "available", stream, timer });
    return `${stream.id}.${stream.seq}`;
  }

  /** Drops a stream after a protocol error, as sqld does. */
  discard(stream: HranaStream): void {
    stream.close();
    this.#handles.delete(stream.id);
  }

  closeAll(): void {
    for (const handle of this.#handles.values()) {
      if (handle.state === "available") clearTimeout(handle.timer);
      if (handle.state !== "expired") handle.stream.close();
    }
    this.#handles.clear();
    this.#options.connections.closeAll();
  }

  #expire(id: string): void {
    const handle = this.#handles.get(id);
    if (handle?.state !== "available") return;
    this.#handles.set(id, { state: "expired", since: Date.now() });
    const name = id.slice(0, 8);
    try {
      handle.stream.close();
      this.#options.log(
        `libsql: stream ${name} expired after ${this.#options.idleMs} ms idle`,
      );
      this.#options.onExpired?.();
    } catch (error) {
      // A timer callback must not throw: that would take the whole dev server down.
      this.#options.log(
        `libsql: closing expired stream ${name} failed: ${error}`,
      );
    }
  }

  #forgetOldExpired(): void {
    const cutoff = Date.now() - EXPIRED_MEMORY_MS;
    for (const [id, handle] of this.#handles) {
      if (handle.state === "expired" && handle.since < cutoff) {
        this.#handles.delete(id);
      }
    }
  }
}
