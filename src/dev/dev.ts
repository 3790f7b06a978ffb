import { sign } from "hono/jwt";
import { ensureDevVars, randomSecret } from "./dev_vars.ts";
import { DEV_PORTS, startStandIns } from "./stand_ins.ts";
import { DEV_QSTASH_TOKEN } from "./qstash/credentials.ts";

/**
 * `deno task dev`: the whole local stack — libSQL, QStash, Redis behind its
 * REST proxy, and the Worker in workerd via `wrangler dev` — with zero
 * accounts. Ctrl-C stops everything.
 */
const WRANGLER = "npm:wrangler@4.86.0";
const WORKER_PORT = 8787;
const STATE_DIR = ".dev";

const { vars, added } = await ensureDevVars(".dev.vars", {
  API_KEY: () => randomSecret(24),
  JWT_SECRET: () => randomSecret(32),
  UPSTASH_REDIS_REST_TOKEN: () => randomSecret(24),
});
if (added.length) console.log(`Generated ${added.join(", ")} in .dev.vars`);

const redisToken = vars.UPSTASH_REDIS_REST_TOKEN ?? randomSecret(24);
const standIns = await startStandIns({
  dir: STATE_DIR,
  ports: DEV_PORTS,
  redisToken,
  persist: true,
});

const publicUrl = `http://127.0.0.1:${WORKER_PORT}`;
const workerVars: Record<string, string> = {
  ...standIns.env,
  PUBLIC_URL: publicUrl,
  // Advancing the QStash dev clock moves Herald's clock too.
  DEV_CLOCK: "qstash",
};
if (!standIns.redis) {
  // .dev.vars holds a Redis token; without Redis the Worker must get neither.
  workerVars.UPSTASH_REDIS_REST_URL = "";
  workerVars.UPSTASH_REDIS_REST_TOKEN = "";
}
const wrangler = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    WRANGLER,
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(WORKER_PORT),
    "--show-interactive-dev-session=false",
    ...Object.entries(workerVars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
  ],
  env: { WRANGLER_SEND_METRICS: "false" },
  stdin: "null",
}).spawn();

let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  console.log("\nStopping the local stack…");
  try {
    wrangler.kill("SIGTERM");
  } catch {
    // Already gone.
  }
  await wrangler.status;
  await standIns.close();
  Deno.exit(code);
}
Deno.addSignalListener("SIGINT", () => void stop(0));
Deno.addSignalListener("SIGTERM", () => void stop(0));
wrangler.status.then((s) => {
  if (!stopping) {
    console.error(`wrangler dev exited (code ${s.code}).`);
    void stop(s.code || 1);
  }
});

await waitForWorker(`${publicUrl}/health`);
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
console.log(banner());

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

function banner(): string {
  const redisLine = standIns.redis
    ? `${standIns.redis.restUrl}  (token: ${redisToken}; redis-server ${standIns.redis.redisUrl})`
    : `not running — ${standIns.redisMissing}; Herald runs without its cache`;
  return [
    "",
    "Herald local stack is up",
    `  Worker (wrangler dev)  ${publicUrl}   health: ${publicUrl}/health`,
    `  Console                ${publicUrl}/console`,
    `  libSQL (Hrana HTTP)    ${standIns.libsqlUrl}   file: ${STATE_DIR}/herald.db`,
    `  QStash dev server      ${standIns.qstashUrl}   token: ${DEV_QSTASH_TOKEN}`,
    `  Upstash Redis REST     ${redisLine}`,
    `  Admin API key          ${vars.API_KEY}   (Authorization: Bearer …)`,
    `  JWT secret (HS256)     ${vars.JWT_SECRET}`,
    `  Demo user token        ${demoToken}   (sub "demo", role "ops", topic "news", 30 days)`,
    "Press Ctrl-C to stop.",
    "",
  ].join("\n");
}
