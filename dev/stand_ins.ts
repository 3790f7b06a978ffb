import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  DEV_QSTASH_CURRENT_SIGNING_KEY,
  DEV_QSTASH_NEXT_SIGNING_KEY,
  DEV_QSTASH_TOKEN,
  startQStashDevServer,
} from "@herald/standin-qstash";
import type { FaultControl } from "@herald/standin-faults";
import { startLibsqlDevServer } from "@herald/standin-libsql";
import {
  type RateLimitControl,
  startPushServiceStandIn,
} from "@herald/standin-push";
import {
  findRedisServer,
  startRedisRestProxy,
  startRedisServer,
} from "@herald/standin-redis";
import { applyMigrations } from "../scripts/migrate.ts";

/** The demo catalogue, seeded into every local stack. */
export const DEMO_SEED = fileURLToPath(
  new URL("../herald.types.json", import.meta.url),
);

export interface StandInPorts {
  libsql: number;
  qstash: number;
  redisRest: number;
  redis: number;
  push: number;
}

export const DEV_PORTS: StandInPorts = {
  libsql: 8081,
  qstash: 8080,
  redisRest: 8079,
  // Not 6379, so a developer's own Redis is left alone.
  redis: 6380,
  push: 8077,
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
  /**
   * The Web Push service stand-in's origin: `POST <pushUrl>/subscribe`
   * hands out subscriptions whose endpoints are `<pushUrl>/push/<id>`, and
   * `GET <pushUrl>/messages` shows what was pushed to them, decrypted.
   */
  pushUrl: string;
  /** A share of pushes answered 429 with Retry-After (also `/dev/rate-limit`). */
  pushRateLimit: RateLimitControl;
  /** Why Redis is absent, when it is. */
  redisMissing: string | null;
  /** The env a Herald runtime needs to reach these stand-ins. */
  env: Record<string, string>;
  /**
   * Failures, delays and outages to inject into each stand-in, on the port
   * it holds (an outage never lets go of it). The same controls answer over
   * HTTP: `/v2/dev/faults` (QStash), `/dev/faults` (libSQL, Redis REST,
   * push).
   */
  faults: StandInFaults;
  close(): Promise<void>;
}

export interface StandInFaults {
  qstash: FaultControl;
  libsql: FaultControl;
  /** The REST proxy Herald talks to; null without redis-server. */
  redis: FaultControl | null;
  /** The push endpoints: `fail` answers 503 with Retry-After: 1. */
  push: FaultControl;
}

/**
 * Starts libSQL (with migrations applied), QStash, the Web Push service
 * and, when `redis-server` is installed, Redis behind the REST proxy.
 * Everything binds 127.0.0.1.
 */
export async function startStandIns(opts: StandInsOptions): Promise<StandIns> {
  await Deno.mkdir(opts.dir, { recursive: true });
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => {});
  };
  try {
    const libsql = await startLibsqlDevServer({
      port: opts.ports.libsql,
      file: join(opts.dir, "herald.db"),
      log: opts.log,
    });
    const libsqlUrl = libsql.url;
    closers.push(() => libsql.close());
    await applyMigrations(libsqlUrl, { seed: DEMO_SEED });

    const qstash = await startQStashDevServer({
      port: opts.ports.qstash,
      stateFile: opts.persist ? join(opts.dir, "qstash.json") : undefined,
      log: opts.log,
    });
    const qstashUrl = qstash.url;
    closers.push(() => qstash.close());

    const push = await startPushServiceStandIn({
      port: opts.ports.push,
      log: opts.log,
    });
    closers.push(() => push.close());

    const redis = await startRedisStandIn(opts, closers);
    const env: Record<string, string> = {
      LIBSQL_URL: libsqlUrl,
      QSTASH_URL: qstashUrl,
      QSTASH_TOKEN: DEV_QSTASH_TOKEN,
      QSTASH_CURRENT_SIGNING_KEY: DEV_QSTASH_CURRENT_SIGNING_KEY,
      QSTASH_NEXT_SIGNING_KEY: DEV_QSTASH_NEXT_SIGNING_KEY,
      // Its endpoints are http on loopback: allowed in the local stack only.
      PUSH_DEV_ORIGIN: push.url,
    };
    if (redis.handle) {
      env.UPSTASH_REDIS_REST_URL = redis.handle.restUrl;
      env.UPSTASH_REDIS_REST_TOKEN = opts.redisToken;
    }
    return {
      libsqlUrl,
      qstashUrl,
      pushUrl: push.url,
      pushRateLimit: push.rateLimit,
      redis: redis.handle,
      redisMissing: redis.missing,
      env,
      faults: {
        qstash: qstash.faults,
        libsql: libsql.faults,
        redis: redis.faults,
        push: push.faults,
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
    return {
      handle: null,
      missing: "redis-server is not installed",
      faults: null,
    };
  }
  const redisDir = opts.persist ? join(opts.dir, "redis") : undefined;
  if (redisDir) await Deno.mkdir(redisDir, { recursive: true });
  const server = await startRedisServer({
    port: opts.ports.redis,
    dir: redisDir,
  });
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
    faults: proxy.faults,
  };
}
