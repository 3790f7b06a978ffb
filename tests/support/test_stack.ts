import { Miniflare } from "miniflare";
import { fileURLToPath } from "node:url";
import { sign } from "hono/jwt";
import {
  randomSecret,
  readWranglerConfig,
  runScheduled,
  type StandIns,
  startOnOfferedPort,
  vapidKeyPair,
  workerRuntimeOptions,
} from "@herald/dev";
import { startScratchStandIns } from "./scratch_stand_ins.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BUNDLE = `${ROOT}dist/worker.js`;

/** The bundled Worker running in workerd, with its credentials. */
export interface TestWorker {
  /** The Worker's base URL (workerd via Miniflare). */
  url: string;
  apiKey: string;
  jwtSecret: string;
  /** Its VAPID public key (push is on in every test stack). */
  vapidPublicKey: string;
  /** Runs the Worker's cron trigger once, as Cloudflare would each minute. */
  runCron(): Promise<void>;
  userToken(userId: string, roles?: string[]): Promise<string>;
  /** fetch against the Worker with the admin key. */
  admin(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export interface TestStack extends TestWorker {
  standIns: StandIns;
}

export interface TestStackOptions {
  /** Extra or overriding Worker vars; "" removes one. */
  vars?: Record<string, string>;
  /**
   * Keep QStash's state on disk (default false: an outage injected with
   * `standIns.faults` keeps it in memory, and 100,000 messages are costly
   * to write out on every change).
   */
  persist?: boolean;
}

/**
 * The real local stack for one test file: stand-ins on free ports with
 * fresh state, and the bundled Worker (`deno task build`) in workerd with
 * the bindings wrangler.toml declares. Each suite owns its data.
 */
export async function startTestStack(
  opts: TestStackOptions = {},
): Promise<TestStack> {
  const standIns = await startScratchStandIns({
    persist: opts.persist ?? false,
  });
  try {
    const worker = await startTestWorker(standIns.env, opts.vars);
    return {
      ...worker,
      standIns,
      async close() {
        await worker.close();
        await standIns.close();
      },
    };
  } catch (error) {
    await standIns.close();
    throw error;
  }
}

/**
 * The bundled Worker in workerd, reaching stand-ins through `standInsEnv`
 * (`StandIns.env`), which may live in another process.
 */
export async function startTestWorker(
  standInsEnv: Record<string, string>,
  vars: Record<string, string> = {},
  opts: {
    /** Opens workerd's V8 inspector here (bench/profile.ts). */
    inspectorPort?: number;
    /** False for benchmarks (dev/worker_runtime.ts says why). */
    staticAssets?: boolean;
  } = {},
): Promise<TestWorker> {
  const { inspectorPort } = opts;
  await assertBundle();
  const apiKey = randomSecret(24);
  const jwtSecret = randomSecret(32);
  const vapid = await vapidKeyPair();
  const wrangler = await readWranglerConfig(`${ROOT}wrangler.toml`);
  // PUBLIC_URL names the port, so it is chosen before workerd binds it.
  const { mf, url } = await startOnOfferedPort(async (port) => {
    const url = `http://127.0.0.1:${port}`;
    const bindings: Record<string, string> = {
      ...wrangler.vars,
      ...standInsEnv,
      ...vapid,
      API_KEY: apiKey,
      JWT_SECRET: jwtSecret,
      PUBLIC_URL: url,
      // Herald's clock is the QStash dev server's (ports/dev_clock.ts).
      DEV_CLOCK: "qstash",
      // Receivers in the local stack listen on loopback.
      WEBHOOK_ALLOW_LOOPBACK: "true",
    };
    for (const [key, value] of Object.entries(vars)) {
      if (value === "") delete bindings[key];
      else bindings[key] = value;
    }
    const mf = new Miniflare({
      ...workerRuntimeOptions({
        bundle: BUNDLE,
        root: ROOT,
        wrangler,
        bindings,
        host: "127.0.0.1",
        port,
        staticAssets: opts.staticAssets,
      }),
      ...(inspectorPort === undefined ? {} : { inspectorPort }),
    });
    try {
      await mf.ready;
    } catch (error) {
      // A failed start leaves nothing to dispose but the same error.
      await mf.dispose().catch(() => {});
      throw error;
    }
    return { mf, url };
  });
  return {
    url,
    apiKey,
    jwtSecret,
    vapidPublicKey: vapid.VAPID_PUBLIC_KEY,
    // Runs the scheduled handler to completion.
    runCron: () => runScheduled(mf),
    userToken(userId, roles) {
      const now = Math.floor(Date.now() / 1000);
      return sign(
        { sub: userId, roles, iat: now, exp: now + 3600 },
        jwtSecret,
        "HS256",
      );
    },
    admin(path, init = {}) {
      const headers = new Headers(init.headers);
      headers.set("authorization", `Bearer ${apiKey}`);
      return fetch(`${url}${path}`, { ...init, headers });
    },
    async close() {
      await mf.dispose();
    },
  };
}

async function assertBundle() {
  try {
    await Deno.stat(BUNDLE);
  } catch {
    throw new Error(
      `The Worker bundle "${BUNDLE}" is missing: run "deno task build" (deno task test does it first).`,
    );
  }
}
