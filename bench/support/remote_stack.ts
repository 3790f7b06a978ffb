import { z } from "zod";
import { fileURLToPath } from "node:url";
import { sign } from "hono/jwt";
import { DEV_QSTASH_TOKEN } from "@herald/standin-qstash";
import { startChild } from "./child_process.ts";
import { childPids } from "./processes.ts";

const script = (name: string) =>
  fileURLToPath(new URL(`./${name}`, import.meta.url));

const workerInfo = z.object({
  url: z.string(),
  apiKey: z.string(),
  jwtSecret: z.string(),
});

function withKey(
  worker: { url: string; apiKey: string },
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${worker.apiKey}`);
  return fetch(`${worker.url}${path}`, { ...init, headers });
}

/** A Worker in a workerd process of its own, on the stack's stand-ins. */
export interface RemoteWorker {
  url: string;
  /** fetch against the Worker with the admin key. */
  admin(path: string, init?: RequestInit): Promise<Response>;
  jwtSecret: string;
  /** Its workerd process, for /proc figures. */
  workerdPid(): number;
  close(): Promise<void>;
}

export interface RemoteStack {
  url: string;
  /** The stand-ins' env (LIBSQL_URL, QSTASH_URL, …). */
  standInsEnv: Record<string, string>;
  /** The Worker's admin key (for a browser that needs it itself). */
  apiKey: string;
  /** fetch against the Worker with the admin key. */
  admin(path: string, init?: RequestInit): Promise<Response>;
  /** A user's JWT, signed with the Worker's secret. */
  userToken(
    userId: string,
    claims?: { roles?: string[]; topics?: string[] },
  ): Promise<string>;
  /** API calls the QStash dev server has answered. */
  qstashCalls(): Promise<number>;
  /** The workerd process and the stand-ins' process, for /proc figures. */
  pids(): { workerd: number; standIns: number };
  /** SQL statements the libSQL dev server has run, and the writes among them. */
  libsqlStatements(): Promise<{ statements: number; writes: number }>;
  /** The QStash dev server's URL (its official client, its dev controls). */
  qstashUrl: string;
  /** The libSQL dev server's URL, to seed state straight into it. */
  libsqlUrl: string;
  /** The Web Push stand-in's origin (`/subscribe`, `/dev/stats`). */
  pushUrl: string;
  /**
   * Another Worker on the same stand-ins, in its own workerd (a floor with
   * other vars, e.g. push off); closed by the caller.
   */
  startWorker(vars?: Record<string, string>): Promise<RemoteWorker>;
  /** Signs user tokens. */
  jwtSecret: string;
  close(): Promise<void>;
}

/**
 * The local stack laid out as `deno task dev` lays it out: the stand-ins in
 * one process, the Worker's workerd (and the Miniflare host driving it) in
 * another, and the benchmark's client in a third. So the client measures
 * Herald from outside, as an app would, and no two parts share an event loop.
 */
export async function startRemoteStack(
  /** Extra Worker vars (e.g. REALTIME_SHARDS). */
  vars: Record<string, string> = {},
): Promise<RemoteStack> {
  const standIns = await startChild(
    script("standins_process.ts"),
    [],
    z.object({ env: z.record(z.string(), z.string()), pushUrl: z.string() }),
  );
  const { env, pushUrl } = standIns.info;
  // The push stand-in's endpoints are http on loopback, as in the tests.
  const workerVars = (extra: Record<string, string>) => ({
    PUSH_DEV_ORIGIN: pushUrl,
    ...extra,
  });
  const worker = await startChild(
    script("stack_process.ts"),
    [JSON.stringify(env), JSON.stringify(workerVars(vars))],
    workerInfo,
  ).catch(async (error) => {
    await standIns.stop();
    throw error;
  });
  const { url, apiKey, jwtSecret } = worker.info;
  const qstashUrl = z.string().parse(env.QSTASH_URL);
  const libsqlUrl = z.string().parse(env.LIBSQL_URL);
  return {
    url,
    apiKey,
    standInsEnv: env,
    userToken(userId, claims = {}) {
      const now = Math.floor(Date.now() / 1000);
      return sign(
        { sub: userId, ...claims, iat: now, exp: now + 86_400 },
        jwtSecret,
        "HS256",
      );
    },
    pids() {
      const [workerd] = childPids(worker.pid, "workerd");
      if (workerd === undefined) throw new Error("No workerd process found");
      return { workerd, standIns: standIns.pid };
    },
    qstashUrl,
    libsqlUrl,
    pushUrl,
    jwtSecret,
    async startWorker(extra = {}) {
      const other = await startChild(
        script("stack_process.ts"),
        [JSON.stringify(env), JSON.stringify(workerVars(extra))],
        workerInfo,
      );
      return {
        url: other.info.url,
        jwtSecret: other.info.jwtSecret,
        admin: (path, init) => withKey(other.info, path, init),
        workerdPid() {
          const [workerd] = childPids(other.pid, "workerd");
          if (workerd === undefined) {
            throw new Error("No workerd process found");
          }
          return workerd;
        },
        close: () => other.stop(),
      };
    },
    admin: (path, init) => withKey({ url, apiKey }, path, init),
    async qstashCalls() {
      const res = await fetch(`${qstashUrl}/v2/dev/stats`, {
        headers: { authorization: `Bearer ${DEV_QSTASH_TOKEN}` },
      });
      return z.object({ requests: z.number() }).parse(await res.json())
        .requests;
    },
    async libsqlStatements() {
      const res = await fetch(`${libsqlUrl}/dev/stats`);
      return z.object({ statements: z.number(), writes: z.number() })
        .parse(await res.json());
    },
    async close() {
      await worker.stop();
      await standIns.stop();
    },
  };
}
