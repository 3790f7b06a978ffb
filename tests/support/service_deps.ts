import { join } from "node:path";
import { createClient } from "@libsql/client";
import { DEMO_SEED } from "@herald/dev";
import { applyMigrations } from "../../scripts/migrate.ts";
import { parseConfig } from "../../src/config.ts";
import type { AppDeps, Background } from "../../src/deps.ts";
import { type ServiceContext, serviceContext } from "../../src/context.ts";
import { createLogger } from "../../src/adapters/json_logger.ts";
import { createMetricsRecorder } from "../../src/adapters/metrics_recorder.ts";
import { createLocalLimiter } from "../../src/adapters/refresh_limiter.ts";
import type { WebhookClient } from "../../src/ports/webhook_client.ts";
import { createInProcessChannels } from "../../src/realtime/hub/in_process_channels.ts";
import { createCatalogueCache } from "../../src/store/catalogue/catalogue_store.ts";
import { openDatabase } from "../../src/store/database.ts";
import { VALID_ENV } from "./config_env.ts";
import { MemoryScheduler } from "./memory_scheduler.ts";
import { noopUnreadCache } from "./noop_unread_cache.ts";
import type { Placement } from "./suite.ts";

/** One log line as the services wrote it. */
export interface LoggedEvent {
  level: string;
  event: string;
  [field: string]: unknown;
}

/**
 * A service's deps for a unit test: ports in memory — the scheduler
 * (`MemoryScheduler`, with failure injection), a no-op unread cache, the
 * in-process channel hub, a content webhook the test answers — over a
 * libSQL file of its own, migrated and seeded with the demo catalogue (the
 * stores are drizzle queries, not a port, so they run for real). Herald's
 * clock is `clock.now`, moved only by the test.
 */
export interface ServiceDeps {
  /** What a request would hand a verb; its `background` is tracked below. */
  ctx: ServiceContext;
  scheduler: MemoryScheduler;
  clock: { now: number };
  /** What the services logged so far, in order. */
  logged: LoggedEvent[];
  /** Resolves once every background task handed over so far has settled. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export interface ServiceDepsOptions {
  placement?: Placement;
  /** Herald's clock at the start (epoch ms). */
  start?: number;
  /** The host app's content webhook; refuses every call unless given. */
  webhooks?: WebhookClient;
}

export async function startServiceDeps(
  opts: ServiceDepsOptions = {},
): Promise<ServiceDeps> {
  const dir = await Deno.makeTempDir({ prefix: "herald-unit-" });
  const url = `file:${join(dir, "herald.db")}`;
  await applyMigrations(url, { seed: DEMO_SEED });
  const client = createClient({ url });
  const db = openDatabase(client);
  const clock = { now: opts.start ?? Date.UTC(2026, 0, 5, 6, 0) };
  const now = () => clock.now;
  const scheduler = new MemoryScheduler();
  const channels = createInProcessChannels();
  const catalogueCache = createCatalogueCache();
  const logged: LoggedEvent[] = [];
  const deps: AppDeps = {
    config: parseConfig({
      ...VALID_ENV,
      LIBSQL_URL: url,
      SCHEDULE_PLACEMENT: opts.placement ?? "slots",
    }),
    db,
    scheduler,
    redis: null,
    cache: noopUnreadCache,
    refreshLimiter: createLocalLimiter(now),
    channels,
    webhooks: opts.webhooks ?? {
      post: () => Promise.reject(new Error("No content webhook in this test")),
    },
    push: null,
    log: createLogger((line) => logged.push(JSON.parse(line))),
    metrics: createMetricsRecorder(),
    now,
    devClock: null,
    catalogue: (atRevision) => catalogueCache.get(db, atRevision),
  };
  const pending = new Set<Promise<unknown>>();
  const background: Background = (task) => {
    const settled = task.catch(() => {}).finally(() => pending.delete(settled));
    pending.add(settled);
  };
  const settled = async () => {
    while (pending.size > 0) await Promise.all(pending);
  };
  return {
    ctx: serviceContext(deps, { background }),
    scheduler,
    clock,
    logged,
    settled,
    async close() {
      await settled();
      channels.close();
      client.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
