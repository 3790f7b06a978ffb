import type { Context } from "hono";
import type { AppDeps, Background } from "./deps.ts";
import type { Logger } from "./ports/logger.ts";
import { serviceContext } from "./context.ts";
import { serverTiming } from "./http/server_timing.ts";
import type { HonoEnv } from "./http/env.ts";
import { handleError } from "./http/errors.ts";
import { unmatchedRequest } from "./http/allowed_methods.ts";
import { recordRequest } from "./http/request_metrics.ts";
import { healthRoutes } from "./routes/health.ts";
import { corsMiddleware } from "./http/cors.ts";
import { consoleRoutes } from "./routes/console.ts";
import { devClockRoutes } from "./routes/dev_clock.ts";
import { jobRoutes } from "./routes/jobs.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { schedulerRoutes } from "./routes/scheduler.ts";
import { notificationRoutes } from "./routes/notifications.ts";
import { preferencesRoutes } from "./routes/preferences.ts";
import { pushRoutes } from "./routes/push.ts";
import { qstashCallbackRoutes } from "./routes/qstash_callback.ts";
import { realtimeRoutes } from "./routes/realtime.ts";
import { docsRoutes } from "./routes/docs.ts";
import { bodyLimit } from "./http/body_limit.ts";
import { describeRealtimeRoutes } from "./routes/stream_docs.ts";
import {
  openApiRoutes,
  registerMethodNotAllowed,
  registerSecuritySchemes,
} from "./http/openapi.ts";
import { streamRoutes } from "./routes/stream.ts";
import { typeRoutes } from "./routes/types.ts";
import { upcomingRoutes } from "./routes/upcoming.ts";
import { webhookRoutes } from "./routes/webhooks.ts";

/** What `/openapi.json` says about Herald before its routes. */
const DOCUMENT = {
  openapi: "3.1.0",
  info: {
    title: "Herald",
    version: "1",
    description: "Scheduled, per-user, real-time notifications. Errors are " +
      "always `{error: {code, message, requestId, fields?}}`; 500s say " +
      "nothing but the request id. Bodies are JSON sent as " +
      "`application/json` (anything else is a 415). A method a path does " +
      "not serve is a 405 (`method_not_allowed`, the shared " +
      "`MethodNotAllowed` response) with `Allow` listing those it does; an " +
      "unknown path is a 404.",
  },
  tags: [
    { name: "Preferences" },
    { name: "Inbox" },
    { name: "Real time" },
    {
      name: "Catalogue",
      description: "The notification types the operator offers: their " +
        "defaults, templates, content webhook, and whether users may " +
        "switch them off.",
    },
    { name: "Scheduler" },
    { name: "System jobs" },
    {
      name: "Webhooks",
      description: "Event webhooks to the host app, on the Standard " +
        "Webhooks spec, delivered and retried through QStash.",
    },
    {
      name: "Web Push",
      description: "Push to the user who has no tab open (RFC 8030, " +
        "8291, 8292): Herald's VAPID key, each device's subscription, " +
        "and the click that marks a pushed notification read.",
    },
    { name: "QStash" },
    { name: "Operations" },
  ],
};

/** Request bodies larger than this are refused before parsing. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * Where a request's deps come from: one shared set (Deno), or a fresh set per
 * request (Workers, where I/O objects such as a client's connection pool or
 * Redis' auto-pipeline must not be shared between requests).
 */
export type DepsSource = AppDeps | (() => AppDeps);

/**
 * Builds the Hono app from injected deps. Runtime-agnostic: `worker.ts` and
 * `deno.ts` only turn their environment into `AppDeps`.
 */
export function createApp(source: DepsSource) {
  const app = openApiRoutes();
  app.use(async (c, next) => {
    const shared = typeof source === "function" ? source() : source;
    // The local stack's clock is the QStash dev server's: learn it first.
    // While QStash cannot be reached the request still runs (Herald's clock
    // has not moved then) and the next one asks again.
    await shared.devClock?.follow().catch(() => {});
    const requestId = c.req.header("x-request-id")?.slice(0, 64) ||
      crypto.randomUUID();
    // Every log line of this request carries its id.
    const log = shared.log.child({ requestId });
    const timing = serverTiming();
    const ctx = serviceContext(shared, {
      log,
      background: backgroundFor(c, log),
      mark: timing.mark,
    });
    c.set("requestId", requestId);
    c.set("ctx", ctx);
    c.set("timing", timing);
    c.header("x-request-id", requestId);
    // Wall time, not Herald's clock (the local stack's may jump).
    const started = performance.now();
    await next();
    ctx.metrics.count("herald_http_requests_total", {
      status: `${Math.floor(c.res.status / 100)}xx`,
    });
    recordRequest(ctx.metrics, c, (performance.now() - started) / 1000);
    // Counters reach libSQL off the response path (adapters/metrics_recorder.ts).
    if (ctx.metrics.flushDue(ctx.now())) {
      ctx.background(ctx.metrics.flush(ctx.db, ctx.now()));
    }
  });
  app.use(bodyLimit(MAX_BODY_BYTES));
  app.use("/v1/*", corsMiddleware);
  // Chained, so that `typeof` the result is the whole API (the SDK's type).
  const api = app
    .route("/", healthRoutes)
    .route("/", preferencesRoutes)
    .route("/", upcomingRoutes)
    .route("/", notificationRoutes)
    .route("/", streamRoutes)
    .route("/", realtimeRoutes)
    .route("/", qstashCallbackRoutes)
    .route("/", schedulerRoutes)
    .route("/", jobRoutes)
    .route("/", typeRoutes)
    .route("/", webhookRoutes)
    .route("/", pushRoutes)
    .route("/", metricsRoutes)
    .route("/", consoleRoutes)
    .route("/", devClockRoutes);
  registerSecuritySchemes(app.openAPIRegistry);
  registerMethodNotAllowed(app.openAPIRegistry);
  describeRealtimeRoutes(app.openAPIRegistry);
  const served = api
    .route("/", docsRoutes(() => app.getOpenAPI31Document(DOCUMENT)));
  return served
    .notFound(unmatchedRequest(served.routes))
    .onError(handleError);
}

export type App = ReturnType<typeof createApp>;

/**
 * Workers end a request's work with its response unless it is handed to
 * `waitUntil`; Deno has no execution context and keeps the promise alive
 * itself. Either way a failure is logged, never unhandled.
 */
function backgroundFor(c: Context<HonoEnv>, log: Logger): Background {
  let waitUntil: ((p: Promise<unknown>) => void) | null = null;
  try {
    const ctx = c.executionCtx;
    waitUntil = (p) => ctx.waitUntil(p);
  } catch {
    // No ExecutionContext outside Workers.
  }
  return (task) => {
    const guarded = task.catch((error: unknown) => {
      log.error("background.failed", {
        error: error instanceof Error ? error.name : "unknown",
      });
    });
    waitUntil?.(guarded);
  };
}
