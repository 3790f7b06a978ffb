/** Per-channel bounds, the same for both implementations. */
export interface ChannelLimits {
  /** Events kept for replay per channel. */
  logSize: number;
  /** Live subscribers per channel; one more gets a 429. */
  maxSubscribers: number;
  /** The `retry:` sent to EventSource. */
  retryMs: number;
  /** Unread bytes a subscriber may hold before it is dropped (it resumes). */
  maxBufferedBytes: number;
}

export const DEFAULT_LIMITS: ChannelLimits = {
  logSize: 1000,
  maxSubscribers: 1000,
  retryMs: 3000,
  // ~100 notifications behind: far past a healthy reader, and 1,000 stuck
  // readers still fit a Durable Object's 128 MB.
  maxBufferedBytes: 64 * 1024,
};

/**
 * The limits among `given` (which may carry other options too), defaults
 * for the rest, checked once at start-up so a bad value fails loudly there.
 */
export function resolveLimits(given: Partial<ChannelLimits>): ChannelLimits {
  const pick = (name: keyof ChannelLimits): number => {
    const value = given[name] ?? DEFAULT_LIMITS[name];
    const min = name === "retryMs" ? 0 : 1;
    if (!Number.isSafeInteger(value) || value < min) {
      throw new RangeError(
        `Channel limit ${name} must be an integer ≥ ${min}, got "${value}"`,
      );
    }
    return value;
  };
  return {
    logSize: pick("logSize"),
    maxSubscribers: pick("maxSubscribers"),
    retryMs: pick("retryMs"),
    maxBufferedBytes: pick("maxBufferedBytes"),
  };
}
