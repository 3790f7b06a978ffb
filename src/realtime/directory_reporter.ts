import type { ChannelStatus } from "../ports/channels.ts";
import { type Cancel, type Clock, realClock } from "./clock.ts";

export interface ReporterOptions {
  snapshot: () => ChannelStatus;
  send: (status: ChannelStatus) => Promise<void>;
  /** Re-report this often while subscribed; the directory expires silence. */
  refreshMs: number;
  /** Delay after a subscriber joins or leaves: bursts become one report. */
  subscribersDelayMs?: number;
  /** Delay after a publish (log size and last seq are not urgent). */
  statsDelayMs?: number;
  clock?: Clock;
}

/**
 * Keeps the realtime directory's entry for one channel roughly current,
 * entirely off the publish path: changes only schedule a report, reports
 * are coalesced, one is in flight at a time (so they cannot arrive out of
 * order), and each is a full snapshot (so a lost one is repaired by the
 * next). While the channel has subscribers it re-reports every `refreshMs`;
 * the directory drops entries older than a few refreshes, which also clears
 * channels whose object died without saying goodbye. Reports are advisory —
 * they feed `status()` — so a failed send is never retried faster than that.
 */
export class DirectoryReporter {
  readonly #snapshot: () => ChannelStatus;
  readonly #send: (status: ChannelStatus) => Promise<void>;
  readonly #clock: Clock;
  readonly #subscribersDelayMs: number;
  readonly #statsDelayMs: number;
  #refreshMs: number;
  #cancel: Cancel | null = null;
  #due = Infinity;
  #sending = false;
  #again = false;

  constructor(options: ReporterOptions) {
    this.#snapshot = options.snapshot;
    this.#send = options.send;
    this.#refreshMs = options.refreshMs;
    this.#subscribersDelayMs = options.subscribersDelayMs ?? 100;
    this.#statsDelayMs = options.statsDelayMs ?? 1000;
    this.#clock = options.clock ?? realClock;
  }

  set refreshMs(ms: number) {
    this.#refreshMs = ms;
  }

  subscribersChanged(): void {
    this.#schedule(this.#subscribersDelayMs);
  }

  published(subscribers: number): void {
    if (subscribers > 0) this.#schedule(this.#statsDelayMs);
  }

  #stop(): void {
    this.#cancel?.();
    this.#cancel = null;
    this.#due = Infinity;
  }

  /** Moves the next report earlier, never later. */
  #schedule(delayMs: number): void {
    const due = this.#clock.now() + delayMs;
    if (this.#cancel !== null && this.#due <= due) return;
    this.#stop();
    this.#due = due;
    this.#cancel = this.#clock.after(delayMs, () => void this.#fire());
  }

  async #fire(): Promise<void> {
    this.#cancel = null;
    this.#due = Infinity;
    if (this.#sending) {
      this.#again = true;
      return;
    }
    this.#sending = true;
    try {
      await this.#send(this.#snapshot());
    } catch {
      // Advisory data: the refresh below (or the next change) repairs it.
    } finally {
      this.#sending = false;
    }
    if (this.#again) {
      this.#again = false;
      this.#schedule(0);
    } else if (this.#snapshot().subscribers > 0) {
      this.#schedule(this.#refreshMs);
    }
  }
}
