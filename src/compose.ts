import type { Redis } from "@upstash/redis";
import type { Config } from "./config.ts";
import type { AppDeps } from "./deps.ts";
import type { ChannelsPort } from "./ports/channels.ts";
import { countedScheduler } from "./adapters/counted_scheduler.ts";
import type { Database } from "./store/database.ts";
import type { DevClock } from "./ports/dev_clock.ts";
import type { CatalogueCache } from "./store/catalogue/catalogue_store.ts";
import type { Logger } from "./ports/logger.ts";
import type { MetricsRecorder } from "./ports/metrics.ts";
import { createQStashScheduler } from "./adapters/qstash_scheduler.ts";
import { createRefreshLimiter } from "./adapters/refresh_limiter.ts";
import { type RefreshLimiter } from "./ports/refresh_limiter.ts";
import {
  createUnreadCache,
  type MissedBumps,
} from "./adapters/redis_unread_cache.ts";
import { createWebhookClient } from "./adapters/webhook_client.ts";
import { createWebPushClient } from "./adapters/web_push_client.ts";

/** What a runtime provides: the parts that differ between Workers and Deno. */
export interface RuntimeParts {
  config: Config;
  db: Database;
  /**
   * Makes the Redis client (with the runtime's own `@upstash/redis` entry),
   * or null without Redis. Called at most once per composed deps, and only
   * by a request that uses Redis: most do not, and a client is costly to make.
   */
  redis: () => Redis | null;
  channels: ChannelsPort;
  metrics: MetricsRecorder;
  log: Logger;
  /** Lives as long as the process or isolate, not the request. */
  localLimiter: RefreshLimiter;
  now: () => number;
  devClock: DevClock | null;
  /** Lives as long as the process or isolate, like the limiter. */
  catalogueCache: CatalogueCache;
  /** Cache invalidations Redis missed; lives as long as the limiter. */
  missedBumps: MissedBumps;
}

/** The rest of AppDeps is the same everywhere. */
export function composeDeps(r: RuntimeParts): AppDeps {
  const lazy = <T>(make: () => T) => {
    let made: { value: T } | undefined;
    return () => (made ??= { value: make() }).value;
  };
  const redis = lazy(r.redis);
  const cache = lazy(() => createUnreadCache(redis(), r.log, r.missedBumps));
  const refreshLimiter = lazy(() =>
    createRefreshLimiter(redis(), r.localLimiter, r.log)
  );
  return {
    config: r.config,
    db: r.db,
    scheduler: countedScheduler(
      createQStashScheduler(r.config.qstash),
      r.metrics,
    ),
    get redis() {
      return redis();
    },
    get cache() {
      return cache();
    },
    get refreshLimiter() {
      return refreshLimiter();
    },
    channels: r.channels,
    // Signed with the wall clock: the host app checks freshness against its own.
    webhooks: createWebhookClient(r.config.webhookSecret, () => Date.now()),
    push: r.config.push && createWebPushClient(r.config.push),
    log: r.log,
    metrics: r.metrics,
    now: r.now,
    devClock: r.devClock,
    catalogue: (atRevision) => r.catalogueCache.get(r.db, atRevision),
  };
}

/** Redis only accelerates: one quick retry, so a dead one cannot stall requests. */
export const REDIS_RETRY = { retries: 1, backoff: () => 50 };
