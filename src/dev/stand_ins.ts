import { join } from "node:path";
import {
  DEV_QSTASH_CURRENT_SIGNING_KEY,
  DEV_QSTASH_NEXT_SIGNING_KEY,
  DEV_QSTASH_TOKEN,
} from "./qstash/credentials.ts";
import { type QStashDevServer, startQStashDevServer } from "./qstash/server.ts";
import { type LibsqlDevServer, startLibsqlDevServer } from "./libsql/server.ts";
import { findRedisServer, startRedisServer } from "./redis/redis_server.ts";
import { startRedisRestProxy } from "./redis/proxy.ts";
import { applyMigrations, DEMO_SEED } from "./migrate.ts";

export interface StandInPorts {
  libsql: number;
  qstash: number;
  redisRest: number;
  redis: number;
}

export const DEV_PORTS: StandInPorts = {
  libsql: 8081,
  qstash: 8080,
  redisRest: 8079,
  // Not 6379, so a developer's own Redis is left alone.
  redis: 6380,
};

export interface StandInsOptions {
  /** Where state lives: the libSQL file, QStash's state, Redis' dump. */
  dir: string;
  ports: StandInPorts;
  redisToken: string;
  /** false: in-memory QStash and no Redis persistence (tests). */
  persist: boolean;
  log?: (line: string) => void;
}

export interface StandIns {
  libsqlUrl: string;
  qstashUrl: string;
  redis: { restUrl: string; token: string; redisUrl: string } | null;
  /** Why Redis is absent, when it is. */
  redisMissing: string | null;
  /** The env a Herald runtime needs to reach these stand-ins. */
  env: Record<string, string>;
  stopRedis(): Promise<void>;
  startRedis(): Promise<void>;
  /** Takes QStash away (its state is kept when persisting) and back. */
  stopQStash(): Promise<void>;
  startQStash(): Promise<void>;
  /** Takes libSQL away and back, on the same port and file. */
  stopLibsql(): Promise<void>;
  startLibsql(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts libSQL (with migrations applied), QStash and, when `redis-server`
 * is installed, Redis behind the REST proxy. Everything binds 127.0.0.1.
 */
export async function startStandIns(opts: StandInsOptions): Promise<StandIns> {
  await Deno.mkdir(opts.dir, { recursive: true });
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => {});
  };
  try {
    const libsqlOptions = {
      port: opts.ports.libsql,
      file: join(opts.dir, "herald.db"),
      log: opts.log,
    };
    let libsql: LibsqlDevServer | null = await startLibsqlDevServer(
      libsqlOptions,
    );
    const libsqlPort = libsql.port;
    const libsqlUrl = libsql.url;
    closers.push(async () => {
      await libsql?.close();
      libsql = null;
    });
    await applyMigrations(libsqlUrl, { seed: DEMO_SEED });

    const qstashOptions = {
      port: opts.ports.qstash,
      stateFile: opts.persist ? join(opts.dir, "qstash.json") : undefined,
      log: opts.log,
    };
    let qstash: QStashDevServer | null = await startQStashDevServer(
      qstashOptions,
    );
    const qstashPort = qstash.port;
    const qstashUrl = qstash.url;
    closers.push(async () => {
      await qstash?.close();
      qstash = null;
    });

    const redis = await startRedisStandIn(opts, closers);
    const env: Record<string, string> = {
      LIBSQL_URL: libsqlUrl,
      QSTASH_URL: qstashUrl,
      QSTASH_TOKEN: DEV_QSTASH_TOKEN,
      QSTASH_CURRENT_SIGNING_KEY: DEV_QSTASH_CURRENT_SIGNING_KEY,
      QSTASH_NEXT_SIGNING_KEY: DEV_QSTASH_NEXT_SIGNING_KEY,
    };
    if (redis.handle) {
      env.UPSTASH_REDIS_REST_URL = redis.handle.restUrl;
      env.UPSTASH_REDIS_REST_TOKEN = opts.redisToken;
    }
    return {
      libsqlUrl,
      qstashUrl,
      redis: redis.handle,
      redisMissing: redis.missing,
      env,
      stopRedis: redis.stop,
      startRedis: redis.start,
      async stopQStash() {
        await qstash?.close();
        qstash = null;
      },
      async startQStash() {
        qstash ??= await startQStashDevServer({
          ...qstashOptions,
          port: qstashPort,
        });
      },
      async stopLibsql() {
        await libsql?.close();
        libsql = null;
      },
      async startLibsql() {
        libsql ??= await startLibsqlDevServer({
          ...libsqlOptions,
          port: libsqlPort,
        });
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function startRedisStandIn(
  opts: StandInsOptions,
  closers: (() => Promise<void>)[],
) {
  const binary = await findRedisServer();
  if (!binary) {
    const noop = () => Promise.resolve();
    return {
      handle: null,
      missing: "redis-server is not installed",
      stop: noop,
      start: noop,
    };
  }
  const redisDir = opts.persist ? join(opts.dir, "redis") : undefined;
  if (redisDir) await Deno.mkdir(redisDir, { recursive: true });
  let server = await startRedisServer({
    port: opts.ports.redis,
    dir: redisDir,
  });
  const port = server.port;
  closers.push(() => server.stop());
  const proxy = await startRedisRestProxy({
    port: opts.ports.redisRest,
    token: opts.redisToken,
    redisUrl: server.url,
    log: opts.log,
  });
  closers.push(() => proxy.close());
  return {
    handle: {
      restUrl: proxy.url,
      token: opts.redisToken,
      redisUrl: server.url,
    },
    missing: null,
    // Tests stop and restart redis-server behind the proxy to check that
    // Herald degrades and recovers.
    stop: () => server.stop(),
    start: async () => {
      server = await startRedisServer({ port, dir: redisDir });
    },
  };
}
