// First: the app's OpenAPI routes extend zod, and a zod schema only has
// the extension if it was made after it (the domain's schemas included).
import { createApp } from "../../../src/app.ts";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { Client, type Schedule } from "@upstash/qstash";
import type { FaultControl } from "@herald/standin-faults";
import { z } from "zod";
import { DEMO_SEED } from "@herald/dev";
import {
  DEV_QSTASH_CURRENT_SIGNING_KEY,
  DEV_QSTASH_NEXT_SIGNING_KEY,
  DEV_QSTASH_TOKEN,
  startQStashDevServer,
} from "@herald/standin-qstash";
import { composeDeps } from "../../../src/compose.ts";
import { parseConfig } from "../../../src/config.ts";
import { applyMigrations } from "../../../scripts/migrate.ts";
import type { AppDeps } from "../../../src/deps.ts";
import { type ServiceContext, serviceContext } from "../../../src/context.ts";
import type { SchedulerPort } from "../../../src/ports/scheduler.ts";
import { createLogger } from "../../../src/adapters/json_logger.ts";
import { createMetricsRecorder } from "../../../src/adapters/metrics_recorder.ts";
import { createLocalLimiter } from "../../../src/adapters/refresh_limiter.ts";
import { createInProcessChannels } from "../../../src/realtime/hub/in_process_channels.ts";
import { createCatalogueCache } from "../../../src/store/catalogue/catalogue_store.ts";
import { MissedBumps } from "../../../src/adapters/redis_unread_cache.ts";
import { openDatabase } from "../../../src/store/database.ts";

const API_KEY = "inprocess-api-key-0123456789";

/**
 * Herald's app and services in this process, composed as `src/deno.ts`
 * composes them, over real parts: libSQL as a `file:` database (migrated and
 * seeded with the demo catalogue), the QStash stand-in on a port of its own
 * choosing, and the in-process channel hub. No workerd, no bundle: a test
 * file starts one in well under a second.
 *
 * Herald's clock is the stack's (`clock`), so a test names the instant a
 * delivery happens at instead of waiting for it. Work a request hands to the
 * background is collected, and `settled()` resolves once all of it has run.
 */
export interface InProcessStack {
  deps: AppDeps;
  /** Herald's clock: what `deps.now()` answers; moved only by the test. */
  clock: { now: number };
  /** A request to the app with the admin API key (or `token`). */
  request(path: string, init?: RequestInit, token?: string): Promise<Response>;
  /** What a request would hand a verb: `deps` with the tracked background. */
  ctx: ServiceContext;
  /** Resolves once every background task handed over so far has settled. */
  settled(): Promise<void>;
  qstash: {
    client: Client;
    /** Schedules QStash holds, by id. */
    schedules(): Promise<Map<string, Schedule>>;
    /** API calls the stand-in has answered so far (its dev stats). */
    calls(): Promise<number>;
    /** The stand-in's failures and outages (set, down, up, clear). */
    faults: FaultControl;
  };
  close(): Promise<void>;
}

export interface InProcessStackOptions {
  /** Herald's clock at the start (epoch ms); the wall clock by default. */
  start?: number;
  /** Environment variables over the stack's own. */
  vars?: Record<string, string>;
  /**
   * Wraps the QStash port Herald is composed with: a test that must act at
   * one exact point of a conversation with QStash (between two calls) hooks
   * in here, then acts through the stand-in's fault controls.
   */
  wrapScheduler?: (real: SchedulerPort) => SchedulerPort;
}

export async function startInProcessStack(
  opts: InProcessStackOptions = {},
): Promise<InProcessStack> {
  const dir = await Deno.makeTempDir({ prefix: "herald-inprocess-" });
  const url = `file:${join(dir, "herald.db")}`;
  await applyMigrations(url, { seed: DEMO_SEED });
  const qstash = await startQStashDevServer({ port: 0 });
  const config = parseConfig({
    API_KEY,
    JWT_SECRET: "inprocess-jwt-secret-0123456789abcdef",
    // Nothing listens here: a schedule that fires while a test runs
    // reaches nobody, and the test drives deliveries itself.
    PUBLIC_URL: "http://127.0.0.1:9",
    LIBSQL_URL: url,
    QSTASH_URL: qstash.url,
    QSTASH_TOKEN: DEV_QSTASH_TOKEN,
    QSTASH_CURRENT_SIGNING_KEY: DEV_QSTASH_CURRENT_SIGNING_KEY,
    QSTASH_NEXT_SIGNING_KEY: DEV_QSTASH_NEXT_SIGNING_KEY,
    ...opts.vars,
  });
  const client = createClient({ url });
  const clock = { now: opts.start ?? Date.now() };
  const now = () => clock.now;
  const hub = createInProcessChannels();
  const composed = composeDeps({
    config,
    db: openDatabase(client),
    redis: () => null,
    channels: hub,
    metrics: createMetricsRecorder(),
    log: createLogger(() => {}),
    localLimiter: createLocalLimiter(now),
    catalogueCache: createCatalogueCache(),
    missedBumps: new MissedBumps(),
    now,
    devClock: null,
  });
  const deps: AppDeps = opts.wrapScheduler
    ? { ...composed, scheduler: opts.wrapScheduler(composed.scheduler) }
    : composed;
  const app = createApp(deps);
  const pending = new Set<Promise<unknown>>();
  const track = (task: Promise<unknown>) => {
    const settled = task.catch(() => {}).finally(() => pending.delete(settled));
    pending.add(settled);
  };
  const executionCtx = {
    waitUntil: track,
    passThroughOnException: () => {},
    props: {},
  };
  const qstashClient = new Client({
    baseUrl: qstash.url,
    token: DEV_QSTASH_TOKEN,
    enableTelemetry: false,
    retry: false,
  });
  return {
    deps,
    clock,
    request: (path, init = {}, token = API_KEY) => {
      const headers = new Headers(init.headers);
      headers.set("authorization", `Bearer ${token}`);
      if (init.body !== undefined) {
        headers.set("content-type", "application/json");
      }
      return Promise.resolve(
        app.request(path, { ...init, headers }, {}, executionCtx),
      );
    },
    ctx: serviceContext(deps, { background: track }),
    async settled() {
      while (pending.size > 0) await Promise.all(pending);
    },
    qstash: {
      client: qstashClient,
      faults: qstash.faults,
      async schedules() {
        const all = await qstashClient.schedules.list();
        return new Map(all.map((s) => [s.scheduleId, s]));
      },
      async calls() {
        const res = await fetch(`${qstash.url}/v2/dev/stats`, {
          headers: { authorization: `Bearer ${DEV_QSTASH_TOKEN}` },
        });
        return z.object({ requests: z.number() }).parse(await res.json())
          .requests;
      },
    },
    async close() {
      while (pending.size > 0) await Promise.all(pending);
      hub.close();
      client.close();
      await qstash.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
