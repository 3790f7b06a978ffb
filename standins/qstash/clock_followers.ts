import { signDelivery } from "./signature.ts";
import type { QStashState } from "./state.ts";

/**
 * Dev-only: apps whose clock follows this server's virtual clock (Herald's
 * `DEV_CLOCK=qstash`). Each one registers a URL; whenever virtual time moves
 * other than by real time passing — a set, an advance, and each instant an
 * advance replays a delivery at — the server POSTs `{"now": ms}` there,
 * signed like a delivery, and waits for the answer before it goes on, so a
 * follower never handles a delivery from a time it has not reached.
 */
export interface ClockFollowersDeps {
  signingKey: string;
  log: (line: string) => void;
}

/** A follower that does not answer in this long is skipped, not waited on. */
const TELL_TIMEOUT_MS = 5_000;
const encoder = new TextEncoder();

export class ClockFollowers {
  readonly #state: QStashState;
  readonly #deps: ClockFollowersDeps;
  #lastTold: number | undefined;

  /** The followers' URLs live in the state, so they survive a restart. */
  constructor(state: QStashState, deps: ClockFollowersDeps) {
    this.#state = state;
    this.#deps = deps;
  }

  /** Registers a follower (again, after its own restart: a no-op). */
  add(url: string): void {
    if (this.#state.clockFollowers.has(url)) return;
    this.#state.clockFollowers.add(url);
    this.#state.changed();
  }

  /**
   * Tells every follower the virtual time `now`, unless it is what they
   * were last told. A follower that is down is logged and skipped: it asks
   * for the time again when it comes back.
   */
  async tell(now: number): Promise<void> {
    const urls = [...this.#state.clockFollowers];
    if (now === this.#lastTold || urls.length === 0) return;
    this.#lastTold = now;
    const body = encoder.encode(JSON.stringify({ now }));
    await Promise.all(urls.map(async (url) => {
      try {
        const response = await fetch(url, {
          method: "POST",
          headers: {
            "Content-Type": "application/json",
            "Upstash-Signature": await signDelivery({
              signingKey: this.#deps.signingKey,
              url,
              body,
              nowSeconds: Math.floor(Date.now() / 1_000),
            }),
          },
          body,
          signal: AbortSignal.timeout(TELL_TIMEOUT_MS),
        });
        await response.body?.cancel();
        if (!response.ok) {
          this.#deps.log(`clock follower ${url} answered ${response.status}`);
        }
      } catch (error) {
        this.#deps.log(`clock follower ${url} unreachable: ${error}`);
      }
    }));
  }
}
