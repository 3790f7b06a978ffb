import { sign } from "hono/jwt";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { type DevCron, startDevCron } from "./dev_cron.ts";
import { type DevWorkerProcess, spawnDevWorker } from "./dev_worker_process.ts";
import { ensureDevVars, randomSecret, vapidKeyPair } from "./dev_vars.ts";
import { startOnOfferedPort } from "./offered_port.ts";
import { DEV_QSTASH_TOKEN } from "@herald/standin-qstash";
import { DEV_PORTS, type StandIns, startStandIns } from "./stand_ins.ts";

/**
 * `deno task dev`: the whole local stack — libSQL, QStash, the Web Push
 * service, Redis behind its REST proxy in this process, and the Worker in workerd (Miniflare, in a
 * process of its own: `dev_worker_process.ts`), rebuilt when src/ changes,
 * with its cron trigger fired every minute and after each QStash clock
 * jump — with zero accounts. Ctrl-C stops everything.
 *
 * Flags, for running a second stack beside a developer's (benchmarks):
 * `--state <dir>` (default .dev), `--vars <file>` (default .dev.vars),
 * `--any-ports` (free ports instead of 8787, 8080, …) and `--json` (one
 * line on stdout with the URLs and keys, once the stack is up).
 */
const ROOT = fileURLToPath(new URL("../", import.meta.url));
const WORKER_PORT = 8787;
/** Where QStash tells the launcher of clock jumps (a fixed URL it keeps). */
const CLOCK_FOLLOWER_PORT = 8078;
const HOST = "127.0.0.1";

interface Flags {
  state: string;
  vars: string;
  anyPorts: boolean;
  json: boolean;
}

function parseFlags(args: string[]): Flags {
  const flags: Flags = {
    state: ".dev",
    vars: ".dev.vars",
    anyPorts: false,
    json: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === "--state") flags.state = value();
    else if (arg === "--vars") flags.vars = value();
    else if (arg === "--any-ports") flags.anyPorts = true;
    else if (arg === "--json") flags.json = true;
    else throw new Error(`Unknown argument "${arg}"`);
  }
  return flags;
}

let flags: Flags;
try {
  flags = parseFlags(Deno.args);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  Deno.exit(2);
}

// Made every start, kept only on the first (what .dev.vars lacks is added).
const vapid = await vapidKeyPair();
const { vars, added } = await ensureDevVars(flags.vars, {
  API_KEY: () => randomSecret(24),
  JWT_SECRET: () => randomSecret(32),
  UPSTASH_REDIS_REST_TOKEN: () => randomSecret(24),
  ...vapid,
});
if (added.length) console.log(`Generated ${added.join(", ")} in ${flags.vars}`);

const redisToken = vars.UPSTASH_REDIS_REST_TOKEN ?? randomSecret(24);
const standIns = await startStandIns({
  dir: flags.state,
  ports: flags.anyPorts
    ? { libsql: 0, qstash: 0, redisRest: 0, redis: 0, push: 0 }
    : DEV_PORTS,
  redisToken,
  persist: true,
});

let worker: DevWorkerProcess | null = null;
let cron: DevCron | null = null;
let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  console.log("\nStopping the local stack…");
  await cron?.close().catch(() => {});
  await worker?.close().catch(() => {});
  await standIns.close();
  Deno.exit(code);
}
Deno.addSignalListener("SIGINT", () => void stop(0));
Deno.addSignalListener("SIGTERM", () => void stop(0));

try {
  // PUBLIC_URL names the Worker's port, so it is known before workerd binds.
  worker = flags.anyPorts
    ? await startOnOfferedPort((port) => startWorker(standIns, port))
    : await startWorker(standIns, WORKER_PORT);
  const running = worker;
  cron = await startDevCron({
    workerUrl: worker.url,
    runCron: () => running.runCron(),
    qstash: { url: standIns.qstashUrl, token: DEV_QSTASH_TOKEN },
    followerPort: flags.anyPorts ? 0 : CLOCK_FOLLOWER_PORT,
    log: (line) => console.error(`[dev] ${line}`),
  });
} catch (error) {
  console.error(`The Worker did not start: ${error}`);
  await stop(1);
}

function startWorker(
  standIns: StandIns,
  port: number,
): Promise<DevWorkerProcess> {
  const publicUrl = `http://${HOST}:${port}`;
  // .dev.vars first (every secret in it reaches the Worker, as with wrangler
  // dev); the stand-ins' addresses and the dev clock always win.
  const bindings: Record<string, string> = {
    ...vars,
    ...standIns.env,
    PUBLIC_URL: publicUrl,
    // Advancing the QStash dev clock moves Herald's clock too.
    DEV_CLOCK: "qstash",
    // Receivers in the local stack listen on loopback.
    WEBHOOK_ALLOW_LOOPBACK: "true",
  };
  if (!standIns.redis) {
    // .dev.vars holds a Redis token; without Redis the Worker gets neither.
    delete bindings.UPSTASH_REDIS_REST_URL;
    delete bindings.UPSTASH_REDIS_REST_TOKEN;
  }
  return spawnDevWorker({
    root: ROOT,
    stateDir: flags.state,
    bindings,
    host: HOST,
    port,
  });
}

if (worker) {
  await waitForWorker(`${worker.url}/health`);
  // A user token to paste into the console (or use as `Authorization: Bearer`).
  const demoToken = await sign(
    {
      sub: "demo",
      roles: ["ops"],
      topics: ["news"],
      exp: Math.floor(Date.now() / 1000) + 30 * 86_400,
    },
    vars.JWT_SECRET ?? "",
    "HS256",
  );
  console.log(banner(worker.url, demoToken));
  if (flags.json) {
    console.log(JSON.stringify({
      devStack: {
        url: worker.url,
        apiKey: vars.API_KEY,
        qstashUrl: standIns.qstashUrl,
        libsqlUrl: standIns.libsqlUrl,
        redisRestUrl: standIns.redis?.restUrl ?? null,
        redisToken: standIns.redis ? redisToken : null,
        pushUrl: standIns.pushUrl,
        workerHostPid: worker.pid,
        cronUrl: cron?.cronUrl ?? null,
      },
    }));
  }
}

async function waitForWorker(url: string) {
  for (let i = 0; i < 600 && !stopping; i++) {
    try {
      const res = await fetch(url);
      await res.body?.cancel();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function banner(workerUrl: string, demoToken: string): string {
  const redisLine = standIns.redis
    ? `${standIns.redis.restUrl}  (token: ${redisToken}; redis-server ${standIns.redis.redisUrl})`
    : `not running — ${standIns.redisMissing}; Herald runs without its cache`;
  return [
    "",
    "Herald local stack is up",
    `  Worker (workerd)       ${workerUrl}   health: ${workerUrl}/health`,
    `  Console                ${workerUrl}/console`,
    `  Cron trigger           every minute, and after each QStash clock jump`,
    `  libSQL (Hrana HTTP)    ${standIns.libsqlUrl}   file: ${
      join(flags.state, "herald.db")
    }`,
    `  QStash dev server      ${standIns.qstashUrl}   token: ${DEV_QSTASH_TOKEN}`,
    `  Upstash Redis REST     ${redisLine}`,
    `  Web Push service       ${standIns.pushUrl}   subscribe: POST /subscribe, received: GET /messages`,
    `  Admin API key          ${vars.API_KEY}   (Authorization: Bearer …)`,
    `  JWT secret (HS256)     ${vars.JWT_SECRET}`,
    `  Demo user token        ${demoToken}   (sub "demo", role "ops", topic "news", 30 days)`,
    "Press Ctrl-C to stop.",
    "",
  ].join("\n");
}
