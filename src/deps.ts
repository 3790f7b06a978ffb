import type { Redis } from "@upstash/redis";
import type { Config } from "./config.ts";
import type { Catalogue } from "./domain/catalogue/catalogue.ts";
import type { Database } from "./store/database.ts";
import type { Logger } from "./ports/logger.ts";
import type { MetricsRecorder } from "./ports/metrics.ts";
import type { ChannelsPort } from "./ports/channels.ts";
import type { DevClock } from "./ports/dev_clock.ts";
import type { PushServicePort } from "./ports/push_service.ts";
import type { RefreshLimiter } from "./ports/refresh_limiter.ts";
import type { SchedulerPort } from "./ports/scheduler.ts";
import type { UnreadCache } from "./ports/unread_cache.ts";
import type { WebhookClient } from "./ports/webhook_client.ts";

/**
 * Keeps work alive after the response is sent: `ctx.waitUntil` on Workers, a
 * detached promise on Deno (the process outlives the request there).
 */
export type Background = (task: Promise<unknown>) => void;

/** Everything the app needs, built by one composition root per runtime. */
export interface AppDeps {
  config: Config;
  db: Database;
  scheduler: SchedulerPort;
  /** Null when Redis is not configured: Herald runs from libSQL alone. */
  redis: Redis | null;
  cache: UnreadCache;
  refreshLimiter: RefreshLimiter;
  channels: ChannelsPort;
  webhooks: WebhookClient;
  /** Web Push with Herald's VAPID key; null when push is off (no keys). */
  push: PushServicePort | null;
  log: Logger;
  /** In-memory counter deltas, flushed to libSQL in the background. */
  metrics: MetricsRecorder;
  /** Herald's clock: real time, or the dev clock's in the local stack. */
  now: () => number;
  /** Set only in the local stack (`DEV_CLOCK=qstash`). */
  devClock: DevClock | null;
  /**
   * The live catalogue of notification types: cached a few seconds, or
   * reloaded unless at least as new as `atRevision` (store/catalogue_store.ts).
   */
  catalogue(atRevision?: number | "latest"): Promise<Catalogue>;
}
