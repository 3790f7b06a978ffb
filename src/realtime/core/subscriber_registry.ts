import { type Cancel, type Clock, realClock } from "./clock.ts";
import { Subscriber } from "./subscriber.ts";

export interface RegistryOptions {
  clock?: Clock;
  /** After every change in the number of live subscribers. */
  onChange?: (size: number) => void;
}

interface Beat {
  ms: number;
  members: Set<Subscriber>;
  stop: Cancel;
}

/**
 * A channel's live subscribers. Heartbeats are one timer per distinct
 * interval (in practice one per channel), not one per subscriber: 10,000
 * idle readers cost 10,000 small objects, not 10,000 timers. Timers stop
 * when the last subscriber leaves, so an idle channel holds nothing live.
 */
export class SubscriberRegistry {
  readonly #clock: Clock;
  readonly #onChange: (size: number) => void;
  readonly #all = new Set<Subscriber>();
  readonly #beats = new Map<number, Beat>();
  readonly #beatOf = new Map<Subscriber, Beat>();

  constructor(options: RegistryOptions = {}) {
    this.#clock = options.clock ?? realClock;
    this.#onChange = options.onChange ?? (() => {});
  }

  get size(): number {
    return this.#all.size;
  }

  /** A new subscriber, already counted and beating. */
  create(
    heartbeatMs: number,
    maxBufferedBytes: number,
    onGone: (subscriber: Subscriber) => void = () => {},
  ): Subscriber {
    const subscriber = new Subscriber({
      maxBufferedBytes,
      onGone: (gone) => {
        this.#remove(gone);
        onGone(gone);
      },
    });
    let beat = this.#beats.get(heartbeatMs);
    if (!beat) {
      const members = new Set<Subscriber>();
      const stop = this.#clock.every(heartbeatMs, () => {
        for (const member of members) member.heartbeat();
      });
      beat = { ms: heartbeatMs, members, stop };
      this.#beats.set(heartbeatMs, beat);
    }
    beat.members.add(subscriber);
    this.#beatOf.set(subscriber, beat);
    this.#all.add(subscriber);
    this.#onChange(this.#all.size);
    return subscriber;
  }

  /** Ends every stream (shutdown, tests). */
  closeAll(): void {
    for (const subscriber of this.#all) subscriber.end();
  }

  #remove(subscriber: Subscriber): void {
    if (!this.#all.delete(subscriber)) return;
    const beat = this.#beatOf.get(subscriber);
    this.#beatOf.delete(subscriber);
    if (beat) {
      beat.members.delete(subscriber);
      if (beat.members.size === 0) {
        beat.stop();
        this.#beats.delete(beat.ms);
      }
    }
    this.#onChange(this.#all.size);
  }
}
