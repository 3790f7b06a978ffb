import type {
  DurableObjectNamespace,
  ExecutionContext,
  ScheduledController,
} from "@cloudflare/workers-types";
import { createClient } from "@libsql/client/web";
import { Redis } from "@upstash/redis/cloudflare";
import { type App, createApp } from "./app.ts";
import { composeDeps, REDIS_RETRY } from "./compose.ts";
import { ConfigError, parseConfig } from "./config.ts";
import type { AppDeps } from "./deps.ts";
import { openDatabase } from "./store/database.ts";
import { libsqlFetch } from "./store/database_outage.ts";
import { z } from "zod";
import { createLogger } from "./adapters/json_logger.ts";
import { createMetricsRecorder } from "./adapters/metrics_recorder.ts";
import { createDevClock } from "./adapters/dev_clock.ts";
import { countingLogger } from "./adapters/metrics_logger.ts";
import { createLocalLimiter } from "./adapters/refresh_limiter.ts";
import { createCatalogueCache } from "./store/catalogue/catalogue_store.ts";
import { MissedBumps } from "./adapters/redis_unread_cache.ts";
import { createDurableChannels } from "./realtime/worker/durable_channels.ts";
import type { ChannelShard } from "./realtime/object/shard_object.ts";
import { serviceContext } from "./context.ts";
import { runMaintenance } from "./services/ops/maintenance.ts";
import { runStartupJobs } from "./services/jobs/startup_jobs.ts";

export { ChannelShard } from "./realtime/object/shard_object.ts";

/** Worker bindings: the shard namespace plus string vars and secrets. */
export interface WorkerEnv extends Record<string, unknown> {
  CHANNELS: DurableObjectNamespace<ChannelShard>;
}

interface Built {
  env: WorkerEnv;
  app: App;
  deps: () => AppDeps;
  /** Whether this isolate has checked for a new deployment's start-up jobs. */
  startupChecked: boolean;
}

// Built once per isolate (the env object is stable for an isolate's life):
// configuration is parsed and the router compiled once. Clients that hold
// I/O are made per request, because Workers forbid sharing I/O objects
// between requests; the channels port makes its stubs per call.
let built: Built | null = null;

function build(env: WorkerEnv): Built {
  if (built?.env === env) return built;
  const config = parseConfig(env);
  // Counter deltas live per isolate and are flushed to libSQL.
  const metrics = createMetricsRecorder();
  const log = countingLogger(createLogger(), metrics);
  const devClock = config.devClock
    ? createDevClock(config.qstash, config.publicUrl)
    : null;
  const now = devClock ? devClock.now : () => Date.now();
  const channels = createDurableChannels(env.CHANNELS, {
    shards: config.realtimeShards,
    heartbeatMs: config.heartbeatMs,
    // Requests to shard objects and the wakes they caused: what the cost
    // model in README multiplies by Cloudflare's prices.
    onShardCall: (call, { ms, woke }) => {
      metrics.count("herald_shard_requests_total", { call });
      metrics.count("herald_shard_request_ms_total", { call }, ms);
      if (woke) metrics.count("herald_shard_wakes_total");
    },
  });
  const localLimiter = createLocalLimiter(now);
  const catalogueCache = createCatalogueCache();
  const missedBumps = new MissedBumps();
  const { redis } = config;
  // A libSQL that cannot be reached becomes a 503, not a 500.
  const fetchLibsql = libsqlFetch(config.libsql.timeoutMs);
  const deps = (): AppDeps =>
    composeDeps({
      config,
      db: openDatabase(createClient({
        url: config.libsql.url,
        authToken: config.libsql.authToken,
        fetch: fetchLibsql,
      })),
      redis: () => redis && new Redis({ ...redis, retry: REDIS_RETRY }),
      channels,
      metrics,
      log,
      localLimiter,
      catalogueCache,
      missedBumps,
      now,
      devClock,
    });
  built = { env, deps, app: createApp(deps), startupChecked: false };
  return built;
}

const versionMetadata = z.object({ id: z.string().min(1) });

/**
 * Workers have no start-up hook: a deployment's first request or cron tick
 * in each isolate offers the version id (the `CF_VERSION_METADATA` binding)
 * as the start-up marker, and libSQL lets exactly one claim it.
 */
function checkStartup(b: Built, ctx: ExecutionContext): void {
  if (b.startupChecked) return;
  b.startupChecked = true;
  const version = versionMetadata.safeParse(b.env.CF_VERSION_METADATA);
  const deps = b.deps();
  if (!version.success) {
    deps.log.warn("startup.skipped", { reason: "no version metadata" });
    return;
  }
  ctx.waitUntil(
    runStartupJobs({
      ctx: serviceContext(deps, { background: (task) => ctx.waitUntil(task) }),
      marker: `worker:${version.data.id}`,
    }).catch(() => deps.log.error("startup.failed", {})),
  );
}

function misconfigured(error: ConfigError): Response {
  // The message names variables only, never their values.
  console.error(
    JSON.stringify({
      level: "error",
      event: "config.invalid",
      message: error.message,
    }),
  );
  return Response.json(
    {
      error: {
        code: "misconfigured",
        message: error.message,
        requestId: crypto.randomUUID(),
      },
    },
    { status: 503 },
  );
}

export default {
  fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext) {
    let b: Built;
    try {
      b = build(env);
    } catch (error) {
      if (error instanceof ConfigError) return misconfigured(error);
      throw error;
    }
    checkStartup(b, ctx);
    return b.app.fetch(request, env, ctx);
  },
  async scheduled(
    _controller: ScheduledController,
    env: WorkerEnv,
    ctx: ExecutionContext,
  ) {
    const b = build(env);
    const deps = b.deps();
    // As for a request: a QStash that is down must not stop the sweep.
    await deps.devClock?.follow().catch(() => {});
    checkStartup(b, ctx);
    const background = (task: Promise<unknown>) => ctx.waitUntil(task);
    ctx.waitUntil(
      runMaintenance({ ctx: serviceContext(deps, { background }) }),
    );
  },
};
