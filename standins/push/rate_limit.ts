/**
 * A push service that throttles: a share of pushes answered `429 Too Many
 * Requests` with `Retry-After`, as FCM and Mozilla answer a sender over its
 * quota. Apart from the faults' `fail` (a 503), because a sender treats the
 * two differently. Set in process or at `/dev/rate-limit`.
 */
export interface RateLimitSettings {
  /** Share of pushes, 0–1, answered 429. */
  share: number;
  /** Seconds in the Retry-After header. */
  retryAfter: number;
}

export interface RateLimitControl {
  set(settings: Partial<RateLimitSettings>): void;
  clear(): void;
  status(): RateLimitSettings;
}

const NONE: RateLimitSettings = { share: 0, retryAfter: 1 };

export class RateLimit implements RateLimitControl {
  #settings: RateLimitSettings = NONE;
  readonly #random: () => number;

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  set(settings: Partial<RateLimitSettings>): void {
    const { share, retryAfter } = { ...this.#settings, ...settings };
    if (!(share >= 0 && share <= 1)) {
      throw new RangeError(`share must be from 0 to 1, not ${share}`);
    }
    if (!(Number.isInteger(retryAfter) && retryAfter >= 0)) {
      throw new RangeError(
        `retryAfter must be a whole number of seconds, not ${retryAfter}`,
      );
    }
    this.#settings = { share, retryAfter };
  }

  clear(): void {
    this.#settings = NONE;
  }

  status(): RateLimitSettings {
    return { ...this.#settings };
  }

  /** The 429 for this push, or null to let it through. */
  refusal(): Response | null {
    const { share, retryAfter } = this.#settings;
    if (share === 0 || this.#random() >= share) return null;
    return Response.json(
      { code: 429, error: "Too Many Requests", message: "rate limited" },
      { status: 429, headers: { "Retry-After": String(retryAfter) } },
    );
  }
}
