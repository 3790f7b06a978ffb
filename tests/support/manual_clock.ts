import type { Cancel, Clock } from "../../src/realtime/core/clock.ts";

/**
 * A clock that only moves when a test says so, for code that takes its
 * clock injected (the realtime registry and directory reporter).
 */
interface Entry {
  id: number;
  at: number;
  every: number | null;
  fn: () => void;
}

export class ManualClock implements Clock {
  #now = 0;
  #next = 1;
  #entries = new Map<number, Entry>();

  now(): number {
    return this.#now;
  }

  after(ms: number, fn: () => void): Cancel {
    return this.#add(fn, ms, null);
  }

  every(ms: number, fn: () => void): Cancel {
    return this.#add(fn, ms, ms);
  }

  /** Timers currently scheduled. */
  get pending(): number {
    return this.#entries.size;
  }

  /** Runs everything due within `ms`, in time order, settling promises between. */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    for (;;) {
      const due = [...this.#entries.values()]
        .filter((e) => e.at <= until)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.#now = due.at;
      if (due.every === null) this.#entries.delete(due.id);
      else due.at += due.every;
      due.fn();
      await flush();
    }
    this.#now = until;
    await flush();
  }

  #add(fn: () => void, ms: number, every: number | null): Cancel {
    const id = this.#next++;
    this.#entries.set(id, { id, at: this.#now + Math.max(0, ms), every, fn });
    return () => void this.#entries.delete(id);
  }
}

/** Lets queued promise callbacks (stream reads, awaited sends) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
