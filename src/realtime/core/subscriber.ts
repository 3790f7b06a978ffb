import { HEARTBEAT } from "./sse_encoding.ts";

/** Why a subscriber left; every path ends in exactly one `onGone`. */
export type GoneReason =
  | "cancelled" // the reader cancelled the stream (client went away)
  | "write_failed" // enqueue threw: the stream is already closed or errored
  | "overflow" // it left more than its allowance unread
  | "stalled" // nothing was read for a whole heartbeat interval
  | "ended"; // we closed it (shutdown)

export interface SubscriberOptions {
  /** Unread bytes allowed on top of the opening chunk before dropping. */
  maxBufferedBytes: number;
  onGone: (subscriber: Subscriber, reason: GoneReason) => void;
}

/**
 * One SSE reader: a ReadableStream we push bytes into. Writes are
 * synchronous enqueues — never awaited — so a slow reader cannot hold up a
 * broadcast; instead it is bounded and, when it falls behind, dropped (it
 * reconnects and replays from its cursor, which is exactly as good).
 *
 * Disconnects are hard to see on Workers, so three signals are used:
 * `cancel` from the runtime, an enqueue that throws, and the heartbeat,
 * which checks that the reader made progress since the previous beat.
 * Progress is measured in bytes consumed (written − still queued), not in
 * `pull` calls, because pull only fires once the queue is empty and would
 * call a reader that is steadily draining a backlog "stalled".
 */
export class Subscriber {
  readonly stream: ReadableStream<Uint8Array>;
  readonly #onGone: SubscriberOptions["onGone"];
  readonly #controller: ReadableStreamDefaultController<Uint8Array>;
  #allowance: number;
  #written = 0;
  /** Bytes consumed at the previous beat; -1 until the first one. */
  #consumedAtBeat = -1;
  #gone = false;

  constructor(options: SubscriberOptions) {
    this.#onGone = options.onGone;
    this.#allowance = options.maxBufferedBytes;
    let controller: ReadableStreamDefaultController<Uint8Array> | null = null;
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (c) => void (controller = c),
        cancel: () => this.#leave("cancelled"),
      },
      // Counted in bytes with no high-water mark: `desiredSize` is then
      // exactly minus the unread bytes.
      { highWaterMark: 0, size: (chunk) => chunk.byteLength },
    );
    if (!controller) throw new Error("ReadableStream did not start");
    this.#controller = controller;
  }

  /** Unread bytes in the stream's queue. */
  get queued(): number {
    const desired = this.#controller.desiredSize ?? 0;
    return desired < 0 ? -desired : 0;
  }

  /**
   * The first chunk (retry, connected, replay): it may be as large as the
   * replay log, so it widens the allowance instead of counting against it.
   */
  open(bytes: Uint8Array): boolean {
    this.#allowance += bytes.byteLength;
    return this.write(bytes);
  }

  /** Queues `bytes`; false (and the subscriber is gone) when it cannot. */
  write(bytes: Uint8Array): boolean {
    if (this.#gone) return false;
    if (this.queued + bytes.byteLength > this.#allowance) {
      this.#drop("overflow");
      return false;
    }
    try {
      this.#controller.enqueue(bytes);
    } catch {
      this.#leave("write_failed");
      return false;
    }
    this.#written += bytes.byteLength;
    return true;
  }

  /**
   * The heartbeat tick: drop it if it read nothing since the last one. The
   * first beat only sets the baseline — the channel's timer is shared, so it
   * may fire a moment after this subscriber joined.
   */
  heartbeat(): boolean {
    if (this.#gone) return false;
    const queued = this.queued;
    const consumed = this.#written - queued;
    if (queued > 0 && consumed === this.#consumedAtBeat) {
      this.#drop("stalled");
      return false;
    }
    this.#consumedAtBeat = consumed;
    return this.write(HEARTBEAT);
  }

  /** Closes the stream after what is queued (shutdown, not an error). */
  end(): void {
    if (this.#gone) return;
    try {
      this.#controller.close();
    } catch {
      // Already closed or errored: leaving is all that is left to do.
    }
    this.#leave("ended");
  }

  #drop(reason: GoneReason): void {
    // error(), not close(): it discards the unread queue at once, where
    // close() would keep it in memory until a reader that is not reading
    // drains it.
    try {
      this.#controller.error(new Error(`Subscriber ${reason}`));
    } catch {
      // Already errored.
    }
    this.#leave(reason);
  }

  #leave(reason: GoneReason): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#onGone(this, reason);
  }
}
