import type { LogBounds } from "./resume_plan.ts";

/** One logged event: its seq, idempotency key and encoded SSE body. */
export interface LoggedEvent {
  seq: number;
  key: string | null;
  body: string;
}

/**
 * A channel's bounded replay log: the last `capacity` events, in seq order.
 * Synchronous on purpose — both backends (Durable Object SQLite, memory)
 * are — so a subscriber reads the log and joins the live set in one turn,
 * with no window for an event to slip between the two.
 */
export interface ReplayLog {
  /** The random id of this log's life: a wiped log gets a new one. */
  readonly epoch: string;
  bounds(): LogBounds;
  size(): number;
  /** The seq already published under `key`, while it is still logged. */
  seqOfKey(key: string): number | null;
  /** Appends `event` (its seq is lastSeq + 1) and trims to `capacity`. */
  append(event: LoggedEvent, capacity: number): void;
  /** Logged events with seq > afterSeq, oldest first. */
  after(afterSeq: number): Iterable<LoggedEvent>;
}

/** The in-process log (Deno): a plain array, trimmed in chunks. */
export class MemoryReplayLog implements ReplayLog {
  readonly epoch: string;
  #events: LoggedEvent[] = [];
  #start = 0;
  #lastSeq = 0;
  #keys = new Map<string, number>();

  constructor(epoch: string) {
    this.epoch = epoch;
  }

  bounds(): LogBounds {
    const first = this.#events[this.#start];
    return {
      firstSeq: first?.seq ?? this.#lastSeq + 1,
      lastSeq: this.#lastSeq,
    };
  }

  size(): number {
    return this.#events.length - this.#start;
  }

  seqOfKey(key: string): number | null {
    return this.#keys.get(key) ?? null;
  }

  append(event: LoggedEvent, capacity: number): void {
    this.#events.push(event);
    this.#lastSeq = event.seq;
    if (event.key !== null) this.#keys.set(event.key, event.seq);
    while (this.size() > capacity) {
      const dropped = this.#events[this.#start++];
      if (dropped?.key != null) this.#keys.delete(dropped.key);
    }
    // Dropping from the front one by one would be O(n) per publish; move the
    // window instead and compact once the dead prefix outweighs the log.
    if (this.#start > capacity) {
      this.#events = this.#events.slice(this.#start);
      this.#start = 0;
    }
  }

  *after(afterSeq: number): Iterable<LoggedEvent> {
    const first = this.#events[this.#start]?.seq ?? this.#lastSeq + 1;
    const from = this.#start + Math.max(0, afterSeq + 1 - first);
    for (let i = from; i < this.#events.length; i++) {
      const event = this.#events[i];
      if (event) yield event;
    }
  }
}
