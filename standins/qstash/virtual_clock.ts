/**
 * The dev server's notion of "now": real time plus an offset that tests move
 * forward (or back). While the server replays due work on a clock advance it
 * freezes the clock at each event's instant, so message timestamps, retry
 * times and schedule bookkeeping come out exactly, not "a few ms later".
 */
export class VirtualClock {
  #offsetMs: number;
  #frozenAt: number | undefined;

  constructor(offsetMs = 0) {
    this.#offsetMs = offsetMs;
  }

  now(): number {
    return this.#frozenAt ?? Date.now() + this.#offsetMs;
  }

  get offsetMs(): number {
    return this.#offsetMs;
  }

  freezeAt(ms: number): void {
    this.#frozenAt = ms;
  }

  /** Unfreezes and keeps running from `ms`. */
  resumeAt(ms: number): void {
    this.#frozenAt = undefined;
    this.#offsetMs = ms - Date.now();
  }
}
