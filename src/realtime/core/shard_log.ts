/** One logged event: its place in the shard, whom it is for, and what. */
export interface LoggedEvent {
  seq: number;
  /** "user:ada", "role:ops", … — the connections holding it receive it. */
  audience: string;
  event: string;
  /** The payload, already JSON. */
  data: string;
}

export interface NewEvent {
  audience: string;
  /** Idempotency key, unique per audience while the event is logged. */
  key: string | null;
  event: string;
  data: string;
  /** When it was sent, in Herald's clock (ms): see `HeldAudience`. */
  sentAt: number;
  /** After this (Herald's clock, ms) it is not replayed; absent: never. */
  expiresAt?: number | null;
}

/**
 * An audience a connection holds, and since when (Herald's clock, ms): its
 * replay holds only that audience's events sent at or after `since` — the
 * inbox's rule (a role's broadcasts from the member's latest join on). A
 * user's own audience is held since 0: everything.
 */
export interface HeldAudience {
  audience: string;
  since: number;
}

/**
 * A shard's replay log: one sequence for every event of every audience the
 * shard serves, so a connection's position is one number whatever it holds.
 * Retention is per audience (the last `capacity` events of each), so a busy
 * role cannot push a quiet user's events out; what was trimmed is remembered
 * per audience as the highest seq dropped, which is all a resume needs to
 * know whether it can be honoured exactly.
 *
 * Synchronous on purpose — both backends (Durable Object SQLite, memory)
 * are — so a connection reads its replay and joins the live set in one
 * turn, with no window for an event to slip between the two.
 */
export interface ShardLog {
  /** The random id of this log's life: a wiped log gets a new one. */
  readonly epoch: string;
  readonly lastSeq: number;
  size(): number;
  /** The seq already published under (audience, key), while still logged. */
  seqOfKey(audience: string, key: string): number | null;
  /** Appends at lastSeq + 1, trims that audience to `capacity`; the seq. */
  append(event: NewEvent, capacity: number): number;
  /** The highest seq trimmed away from any of `audiences`, or 0. */
  trimmedThrough(audiences: readonly string[]): number;
  /**
   * Logged events with seq > afterSeq of each held audience, sent since it
   * was held and not expired at `now` (Herald's clock), oldest first.
   */
  after(
    afterSeq: number,
    held: readonly HeldAudience[],
    now: number,
  ): LoggedEvent[];
}

/** The in-process log (Deno): per-audience arrays over one counter. */
export class MemoryShardLog implements ShardLog {
  readonly epoch: string;
  #lastSeq = 0;
  #size = 0;
  readonly #byAudience = new Map<
    string,
    (LoggedEvent & { sentAt: number; expiresAt: number | null })[]
  >();
  readonly #keys = new Map<string, number>();
  readonly #trimmed = new Map<string, number>();
  readonly #keyOf = new Map<number, string>();

  constructor(epoch: string) {
    this.epoch = epoch;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  size(): number {
    return this.#size;
  }

  seqOfKey(audience: string, key: string): number | null {
    return this.#keys.get(keyId(audience, key)) ?? null;
  }

  append(event: NewEvent, capacity: number): number {
    const seq = ++this.#lastSeq;
    let list = this.#byAudience.get(event.audience);
    if (!list) this.#byAudience.set(event.audience, list = []);
    list.push({
      seq,
      audience: event.audience,
      event: event.event,
      data: event.data,
      sentAt: event.sentAt,
      expiresAt: event.expiresAt ?? null,
    });
    this.#size++;
    if (event.key !== null) {
      const id = keyId(event.audience, event.key);
      this.#keys.set(id, seq);
      this.#keyOf.set(seq, id);
    }
    // Capacities are small (hundreds): splicing the front is cheap enough,
    // and far rarer than appends once a list is full.
    const excess = list.length - capacity;
    if (excess > 0) {
      const dropped = list.splice(0, excess);
      this.#size -= dropped.length;
      for (const old of dropped) {
        const id = this.#keyOf.get(old.seq);
        if (id !== undefined) {
          this.#keys.delete(id);
          this.#keyOf.delete(old.seq);
        }
      }
      const last = dropped[dropped.length - 1];
      if (last) this.#trimmed.set(event.audience, last.seq);
    }
    return seq;
  }

  trimmedThrough(audiences: readonly string[]): number {
    let through = 0;
    for (const audience of audiences) {
      through = Math.max(through, this.#trimmed.get(audience) ?? 0);
    }
    return through;
  }

  after(
    afterSeq: number,
    held: readonly HeldAudience[],
    now: number,
  ): LoggedEvent[] {
    const out: LoggedEvent[] = [];
    for (const { audience, since } of held) {
      const list = this.#byAudience.get(audience) ?? [];
      for (let i = firstAfter(list, afterSeq); i < list.length; i++) {
        const event = list[i];
        if (
          event && event.sentAt >= since &&
          (event.expiresAt === null || event.expiresAt > now)
        ) {
          out.push({
            seq: event.seq,
            audience: event.audience,
            event: event.event,
            data: event.data,
          });
        }
      }
    }
    return out.sort((a, b) => a.seq - b.seq);
  }
}

function keyId(audience: string, key: string): string {
  return `${audience}\n${key}`;
}

/** Index of the first event with seq > afterSeq (lists are in seq order). */
function firstAfter(list: readonly LoggedEvent[], afterSeq: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid]?.seq ?? Infinity) <= afterSeq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
