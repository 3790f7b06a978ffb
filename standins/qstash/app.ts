import { Hono } from "hono";
import { ApiError } from "./api_error.ts";
import type { AppDeps, DevEnv } from "./app_deps.ts";
import {
  DEV_QSTASH_CURRENT_SIGNING_KEY,
  DEV_QSTASH_NEXT_SIGNING_KEY,
  DEV_QSTASH_TOKEN,
} from "./credentials.ts";
import { ApiCallCounter } from "./api_call_counter.ts";
import { faultRoutes } from "@herald/standin-faults";
import { devRoutes } from "./routes_dev.ts";
import { dlqRoutes } from "./routes_dlq.ts";
import { messageRoutes } from "./routes_messages.ts";
import { publishRoutes } from "./routes_publish.ts";
import { scheduleRoutes } from "./routes_schedules.ts";

/**
 * The dev server's HTTP surface. Every `/v2` route needs the dev token, as
 * QStash needs a token; every refusal is QStash's `{error}` JSON.
 */
export function createQStashDevApp(
  deps: AppDeps,
  log: (line: string) => void,
): Hono<DevEnv> {
  const app = new Hono<DevEnv>();
  const calls = new ApiCallCounter();

  app.use("/v2/*", async (c, next) => {
    const authorization = c.req.header("Authorization");
    if (authorization === undefined) {
      return c.json({ error: "authorization header is missing" }, 401);
    }
    if (authorization !== `Bearer ${DEV_QSTASH_TOKEN}`) {
      return c.json({ error: "invalid token" }, 401);
    }
    calls.count(c.req.method, c.req.path);
    return await next();
  });

  // Dev-only: how many API calls were answered, so tests and benchmarks can
  // assert "zero QStash calls" instead of guessing, how many messages are
  // still to be delivered (queued, retrying or in flight), so they can wait
  // until everything sent has landed, and how many delivery attempts were
  // made (the messages a run spent, retries included).
  app.get("/v2/dev/stats", (c) =>
    c.json({
      ...calls.snapshot(),
      pending: deps.state.messages.size,
      attempts: deps.dispatcher.attempts,
    }));

  // The SDK's dev-mode health check expects exactly these two keys.
  app.get("/v2/keys", (c) =>
    c.json({
      current: DEV_QSTASH_CURRENT_SIGNING_KEY,
      next: DEV_QSTASH_NEXT_SIGNING_KEY,
    }));

  app.route("/", publishRoutes(deps));
  app.route("/", scheduleRoutes(deps));
  app.route("/", messageRoutes(deps));
  app.route("/", dlqRoutes(deps));
  app.route("/", devRoutes(deps));
  app.route("/", faultRoutes("/v2/dev/faults", deps.faults));

  app.notFound((c) => c.json({ error: "not found" }, 404));
  app.onError((error, c) => {
    if (error instanceof ApiError) {
      return c.json({ error: error.message }, error.status);
    }
    log(`internal error on ${c.req.method} ${c.req.path}: ${error.stack}`);
    return internalServerError();
  });

  return app;
}

/** QStash's answer to a server error; injected failures answer the same. */
export function internalServerError(): Response {
  return Response.json({ error: "internal server error" }, { status: 500 });
}
