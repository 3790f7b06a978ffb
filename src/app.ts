import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Context } from "hono";
import type { AppDeps, Background } from "./deps.ts";
import { withLogger } from "./compose.ts";
import { AppError } from "./errors.ts";
import type { HonoEnv } from "./http/env.ts";
import { errorBody, handleError } from "./http/errors.ts";
import { healthRoutes } from "./routes/health.ts";
import { corsMiddleware } from "./http/cors.ts";
import { consoleRoutes } from "./routes/console.ts";
import { devClockRoutes } from "./routes/dev_clock.ts";
import { jobRoutes } from "./routes/jobs.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { schedulerRoutes } from "./routes/scheduler.ts";
import { notificationRoutes } from "./routes/notifications.ts";
import { preferencesRoutes } from "./routes/preferences.ts";
import { qstashCallbackRoutes } from "./routes/qstash_callback.ts";
import { realtimeRoutes } from "./routes/realtime.ts";
import { streamRoutes } from "./routes/stream.ts";

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
  const app = new Hono<HonoEnv>();
  app.use(async (c, next) => {
    const shared = typeof source === "function" ? source() : source;
    // The local stack's clock is the QStash dev server's: learn it first.
    // While QStash cannot be reached the request still runs (Herald's clock
    // has not moved then) and the next one asks again.
    await shared.devClock?.follow().catch(() => {});
    const requestId = c.req.header("x-request-id")?.slice(0, 64) ||
      crypto.randomUUID();
    // Every log line of this request carries its id.
    const deps = withLogger(shared, shared.log.child({ requestId }));
    c.set("requestId", requestId);
    c.set("deps", deps);
    const background = backgroundFor(c, deps);
    c.set("background", background);
    c.header("x-request-id", requestId);
    await next();
    deps.metrics.count("herald_http_requests_total", {
      status: `${Math.floor(c.res.status / 100)}xx`,
    });
    // Counters reach libSQL off the response path (ports/metrics.ts).
    if (deps.metrics.flushDue(deps.now())) {
      background(deps.metrics.flush(deps.db, deps.now()));
    }
  });
  app.use(bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new AppError(
        "payload_too_large",
        `Request body exceeds ${MAX_BODY_BYTES} bytes`,
      );
    },
  }));
  app.use("/v1/*", corsMiddleware);
  app.route("/", healthRoutes);
  app.route("/", preferencesRoutes);
  app.route("/", notificationRoutes);
  app.route("/", streamRoutes);
  app.route("/", realtimeRoutes);
  app.route("/", qstashCallbackRoutes);
  app.route("/", schedulerRoutes);
  app.route("/", jobRoutes);
  app.route("/", metricsRoutes);
  app.route("/", consoleRoutes);
  app.route("/", devClockRoutes);
  app.notFound((c) =>
    c.json(
      errorBody("not_found", "No such route", c.get("requestId")),
      404,
    )
  );
  app.onError(handleError);
  return app;
}

export type App = ReturnType<typeof createApp>;

/**
 * Workers end a request's work with its response unless it is handed to
 * `waitUntil`; Deno has no execution context and keeps the promise alive
 * itself. Either way a failure is logged, never unhandled.
 */
function backgroundFor(c: Context<HonoEnv>, deps: AppDeps): Background {
  let waitUntil: ((p: Promise<unknown>) => void) | null = null;
  try {
    const ctx = c.executionCtx;
    waitUntil = (p) => ctx.waitUntil(p);
  } catch {
    // No ExecutionContext outside Workers.
  }
  return (task) => {
    const guarded = task.catch((error: unknown) => {
      deps.log.error("background.failed", {
        error: error instanceof Error ? error.name : "unknown",
      });
    });
    waitUntil?.(guarded);
  };
}
