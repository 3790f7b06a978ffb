import { createClient } from "@libsql/client";
import { Redis } from "@upstash/redis";
import { createApp } from "./app.ts";
import { composeDeps, REDIS_RETRY } from "./compose.ts";
import { ConfigError, parseConfig } from "./config.ts";
import { openDatabase } from "./store/database.ts";
import { libsqlFetch } from "./store/database_outage.ts";
import { createLogger } from "./adapters/json_logger.ts";
import { createMetricsRecorder } from "./adapters/metrics_recorder.ts";
import { createDevClock } from "./adapters/dev_clock.ts";
import { countingLogger } from "./adapters/metrics_logger.ts";
import { createLocalLimiter } from "./adapters/refresh_limiter.ts";
import { createCatalogueCache } from "./store/catalogue/catalogue_store.ts";
import { MissedBumps } from "./adapters/redis_unread_cache.ts";
import { createInProcessChannels } from "./realtime/hub/in_process_channels.ts";
import { serviceContext } from "./context.ts";
import { runMaintenance } from "./services/ops/maintenance.ts";
import { runStartupJobs } from "./services/jobs/startup_jobs.ts";
import { ASSETS_DIR } from "./static_assets.ts";
import { SCALAR_SCRIPT_PATH } from "./routes/docs.ts";

/**
 * Herald on Deno (Deno Deploy or a plain server): the same app, with libSQL
 * as a `file:` database or a remote URL. `PORT` defaults to 8000.
 */
let config;
try {
  config = parseConfig(Deno.env.toObject());
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    Deno.exit(1);
  }
  throw error;
}

const client = createClient({
  url: config.libsql.url,
  authToken: config.libsql.authToken,
  // Over HTTP, a libSQL that cannot be reached becomes a 503, not a 500.
  fetch: libsqlFetch(config.libsql.timeoutMs),
});
const metrics = createMetricsRecorder();
const log = countingLogger(createLogger(), metrics);
const devClock = config.devClock
  ? createDevClock(config.qstash, config.publicUrl)
  : null;
const now = devClock ? devClock.now : () => Date.now();
const redis = config.redis
  ? new Redis({ ...config.redis, retry: REDIS_RETRY })
  : null;
// One process: the channels hub lives here, in memory, and takes
// WebSockets through Deno's own upgrade.
const hub = createInProcessChannels({
  upgradeWebSocket: (request) => Deno.upgradeWebSocket(request),
});
const deps = composeDeps({
  config,
  db: openDatabase(client),
  redis: () => redis,
  channels: hub,
  metrics,
  log,
  localLimiter: createLocalLimiter(now),
  catalogueCache: createCatalogueCache(),
  missedBumps: new MissedBumps(),
  now,
  devClock,
});
const app = createApp(deps);
// Work no request started: the start-up jobs and the every-minute sweep.
const detached = serviceContext(deps, {
  background: (task) => {
    task.catch(() => log.error("background.failed", {}));
  },
});

// Start-up jobs: once per deployment on Deno Deploy (every isolate shares
// DENO_DEPLOYMENT_ID), once per process start elsewhere.
const deployment = Deno.env.get("DENO_DEPLOYMENT_ID");
runStartupJobs({
  ctx: detached,
  marker: deployment ? `deno:${deployment}` : `deno:${crypto.randomUUID()}`,
}).catch(() => log.error("startup.failed", {}));

// The Worker's cron trigger, here: every minute.
const sweep = setInterval(async () => {
  await devClock?.follow().catch(() => {});
  void runMaintenance({ ctx: detached });
}, 60_000);

const port = Number(Deno.env.get("PORT") ?? 8000);
// On Workers, static assets answer before the Worker; here, this does.
const server = Deno.serve(
  { hostname: "0.0.0.0", port },
  async (req) => await staticAsset(req) ?? app.fetch(req),
);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    clearInterval(sweep);
    // Open streams and sockets would keep shutdown waiting forever.
    hub.close();
    await server.shutdown();
    await metrics.flush(deps.db, now()).catch(() => {});
    client.close();
    Deno.exit(0);
  });
}

/** The docs page's script from `dist/assets` (`deno task build` fills it). */
async function staticAsset(req: Request): Promise<Response | null> {
  const { pathname } = new URL(req.url);
  if (req.method !== "GET" || pathname !== SCALAR_SCRIPT_PATH) return null;
  try {
    const file = await Deno.open(`${ASSETS_DIR}${pathname.slice(1)}`);
    return new Response(file.readable, {
      headers: { "content-type": "text/javascript; charset=utf-8" },
    });
  } catch {
    return null;
  }
}
