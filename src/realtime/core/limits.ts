/** Bounds of the real-time layer, the same for both implementations. */
export interface ChannelLimits {
  /** Events kept for replay per audience in each shard. */
  logSize: number;
  /** Live connections per shard; one more gets a 429. */
  maxConnections: number;
  /** The `retry:` sent to EventSource. */
  retryMs: number;
  /** Unread bytes an SSE reader may hold before it is dropped (it resumes). */
  maxBufferedBytes: number;
}

export const DEFAULT_LIMITS: ChannelLimits = {
  logSize: 1000,
  // Hibernated sockets cost the object nothing; awake, each is a small
  // entry in the runtime's tag index. 16 shards × 5,000 = 80,000 online.
  maxConnections: 5000,
  retryMs: 3000,
  // ~100 notifications behind: far past a healthy reader.
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
    maxConnections: pick("maxConnections"),
    retryMs: pick("retryMs"),
    maxBufferedBytes: pick("maxBufferedBytes"),
  };
}
