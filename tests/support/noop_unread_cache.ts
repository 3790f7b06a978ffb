import type { UnreadCache } from "../../src/ports/unread_cache.ts";

/**
 * The unread cache with nothing behind it: every read a miss, every write
 * dropped — what Herald runs as without Redis, for unit tests of services
 * (counts then come from libSQL, as they must).
 */
export const noopUnreadCache: UnreadCache = {
  versions: () => Promise.resolve(null),
  get: () => Promise.resolve(null),
  put: () => Promise.resolve(),
  fill: () => Promise.resolve(),
  invalidate: () => Promise.resolve(),
  bump: () => Promise.resolve(),
};
