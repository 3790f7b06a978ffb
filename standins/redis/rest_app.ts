import { Hono } from "hono";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { RespValue } from "./resp_codec.ts";
import { RedisConnectionError } from "./resp_connection.ts";
import { refusalReason } from "./command_policy.ts";
import { parseBatchBody, parseCommandBody } from "./request_body.ts";
import { toRestItem } from "./upstash_encoding.ts";
import type { RestItem } from "./upstash_encoding.ts";
import { readTransactionReplies, wrapInTransaction } from "./transaction.ts";
import { isAuthorized } from "./bearer_auth.ts";
import { LuaScriptCompat } from "./lua_script_compat.ts";
import { type FaultControl, faultRoutes } from "@herald/standin-faults";

export interface RedisRestAppDeps {
  token: string;
  /** Runs a batch on one Redis connection and returns its replies in order. */
  exec: (commands: string[][]) => Promise<RespValue[]>;
  /** How long a blocking command may hold a connection. */
  maxBlockMs: number;
  /** Dev-only: failures, delays and outages to inject (`/dev/faults`). */
  faults: FaultControl;
  log: (line: string) => void;
}

type ProxyEnv = { Variables: { summary: string; failed: number } };

const SYNC_TOKEN = "upstash-sync-token";
const NO_REPLY: RespValue = {
  kind: "error",
  message: "ERR No reply from Redis",
};

/**
 * The Upstash Redis REST API (`/`, `/pipeline`, `/multi-exec`) as a Hono app
 * over an injected executor, so it runs the same under Deno.serve or tests.
 */
export function createRedisRestApp(deps: RedisRestAppDeps): Hono<ProxyEnv> {
  const app = new Hono<ProxyEnv>();

  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    // The client sends a sync token for read-your-writes and keeps whatever
    // comes back; one Redis has nothing to sync, so echoing it is exact.
    const syncToken = c.req.header(SYNC_TOKEN);
    if (syncToken !== undefined) c.res.headers.set(SYNC_TOKEN, syncToken);
    const ms = (performance.now() - started).toFixed(1);
    const summary = c.get("summary") ?? "";
    const failed = c.get("failed") ? ` ${c.get("failed")} failed` : "";
    deps.log(
      `${c.req.method} ${c.req.path} ${c.res.status} ${summary}${failed} ${ms}ms`,
    );
  });

  app.get("/", (c) => c.text("Welcome to Herald's Upstash Redis REST proxy"));

  const requireToken = createMiddleware<ProxyEnv>(async (c, next) => {
    if (!isAuthorized(c.req.header("authorization"), deps.token)) {
      return c.json({ error: "Unauthorized" }, 401);
    }
    await next();
    return undefined;
  });

  app.use("/dev/*", requireToken);
  app.route("/", faultRoutes("/dev/faults", deps.faults));

  const scripts = new LuaScriptCompat();

  const prepareAll = (commands: string[][]) =>
    Promise.all(commands.map((command) => scripts.prepare(command)));

  /** Runs commands back to back, with Upstash-only script syntax adapted. */
  const run = async (commands: string[][]): Promise<RespValue[]> => {
    const prepared = await prepareAll(commands);
    const replies = await deps.exec(prepared.map((p) => p.command));
    return prepared.map((p, i) => p.restore(replies[i] ?? NO_REPLY));
  };

  app.post("/", requireToken, async (c) => {
    const body = parseCommandBody(await c.req.text());
    if (!body.ok) return c.json({ error: body.error }, 400);
    c.set("summary", commandName(body.value));
    const refusal = refusalReason(body.value, deps.maxBlockMs);
    if (refusal !== undefined) return c.json({ error: refusal }, 400);
    const [reply] = await run([body.value]);
    const item = toRestItem(reply ?? NO_REPLY, wantsBase64(c));
    return c.json(item, "error" in item ? 400 : 200);
  });

  app.post("/pipeline", requireToken, async (c) => {
    const body = parseBatchBody(await c.req.text());
    if (!body.ok) return c.json({ error: body.error }, 400);
    c.set("summary", summarize(body.value));
    // Refused commands answer in place; the rest still run, in order.
    const refusals = body.value.map((cmd) =>
      refusalReason(cmd, deps.maxBlockMs)
    );
    const runnable = body.value.filter((_, i) => refusals[i] === undefined);
    const replies = runnable.length > 0 ? await run(runnable) : [];
    const base64 = wantsBase64(c);
    let next = 0;
    const items = refusals.map((refusal): RestItem =>
      refusal !== undefined
        ? { error: refusal }
        : toRestItem(replies[next++] ?? NO_REPLY, base64)
    );
    c.set("failed", countErrors(items));
    return c.json(items);
  });

  app.post("/multi-exec", requireToken, async (c) => {
    const body = parseBatchBody(await c.req.text());
    if (!body.ok) return c.json({ error: body.error }, 400);
    c.set("summary", summarize(body.value));
    for (const cmd of body.value) {
      const refusal = refusalReason(cmd, deps.maxBlockMs);
      if (refusal !== undefined) {
        const error = `EXECABORT Transaction discarded: ${refusal}`;
        return c.json({ error }, 400);
      }
    }
    const prepared = await prepareAll(body.value);
    const replies = await deps.exec(
      wrapInTransaction(prepared.map((p) => p.command)),
    );
    const outcome = readTransactionReplies(replies);
    if (!outcome.committed) return c.json({ error: outcome.error }, 400);
    const base64 = wantsBase64(c);
    const items = prepared.map((p, i) =>
      toRestItem(p.restore(outcome.results[i] ?? NO_REPLY), base64)
    );
    c.set("failed", countErrors(items));
    return c.json(items);
  });

  for (const path of ["/", "/pipeline", "/multi-exec"]) {
    app.all(path, (c) => c.json({ error: "Method not allowed" }, 405));
  }

  app.notFound((c) => c.json({ error: `Not found: ${c.req.path}` }, 404));

  app.onError((error, c) => {
    if (error instanceof RedisConnectionError) {
      return c.json({ error: `ERR ${error.message}` }, 500);
    }
    deps.log(`Unexpected proxy error: ${error.stack ?? error.message}`);
    return internalProxyError();
  });

  return app;
}

/** The proxy's answer to a server error; injected failures answer the same. */
export function internalProxyError(): Response {
  return Response.json({ error: "ERR Internal proxy error" }, { status: 500 });
}

function wantsBase64(c: Context<ProxyEnv>): boolean {
  return c.req.header("upstash-encoding")?.toLowerCase() === "base64";
}

function commandName(command: string[]): string {
  return (command[0] ?? "").toUpperCase();
}

function countErrors(items: RestItem[]): number {
  return items.filter((item) => "error" in item).length;
}

/** Command names only: values may hold secrets and do not belong in logs. */
function summarize(commands: string[][]): string {
  const names = commands.slice(0, 5).map(commandName);
  const more = commands.length > 5 ? ` +${commands.length - 5}` : "";
  return `[${names.join(",")}${more}]`;
}
