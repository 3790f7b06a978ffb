import { Ratelimit } from "@upstash/ratelimit";
import type { Redis } from "@upstash/redis";
import type { Logger } from "../ports/logger.ts";
import type { RefreshLimiter } from "../ports/refresh_limiter.ts";

export interface RefreshLimits {
  /** Requests per window with Redis. */
  requests: number;
  windowSeconds: number;
}

const DEFAULT_REFRESH_LIMITS: RefreshLimits = {
  requests: 5,
  windowSeconds: 60,
};

/**
 * Rate limits the forced recount with @upstash/ratelimit: a token bucket of
 * `requests` tokens, all refilled each window, counted from the user's own
 * first call. (Sliding and fixed windows are aligned to the clock, so a
 * burst that straddles a window's edge was let through one extra call.)
 * Without Redis, or while it is down, `fallback` (see `createLocalLimiter`)
 * decides instead: conservative, never unlimited.
 */
export function createRefreshLimiter(
  redis: Redis | null,
  fallback: RefreshLimiter,
  log: Logger,
  limits: RefreshLimits = DEFAULT_REFRESH_LIMITS,
): RefreshLimiter {
  const local = fallback;
  if (!redis) return local;
  const ratelimit = new Ratelimit({
    redis,
    limiter: Ratelimit.tokenBucket(
      limits.requests,
      `${limits.windowSeconds} s`,
      limits.requests,
    ),
    prefix: "herald:refresh",
    analytics: false,
  });
  return {
    async limit(userId) {
      try {
        const result = await ratelimit.limit(userId);
        return {
          allowed: result.success,
          // @upstash/ratelimit keeps time by the wall clock, so this does too.
          retryAfter: Math.max(
            1,
            Math.ceil((result.reset - Date.now()) / 1000),
          ),
        };
      } catch {
        log.warn("ratelimit.fallback", { reason: "redis unavailable" });
        return await local.limit(userId);
      }
    },
  };
}

/**
 * One request per window per user, in memory. Build it once per process or
 * isolate (not per request) so its memory spans requests.
 */
export function createLocalLimiter(
  now: () => number,
  windowSeconds = DEFAULT_REFRESH_LIMITS.windowSeconds,
): RefreshLimiter {
  const last = new Map<string, number>();
  const windowMs = windowSeconds * 1000;
  return {
    limit(userId) {
      const t = now();
      const previous = last.get(userId);
      if (previous !== undefined && t - previous < windowMs) {
        return Promise.resolve({
          allowed: false,
          retryAfter: Math.ceil((windowMs - (t - previous)) / 1000),
        });
      }
      last.set(userId, t);
      if (last.size > 10_000) last.clear(); // bounded memory per isolate
      return Promise.resolve({ allowed: true, retryAfter: 0 });
    },
  };
}
