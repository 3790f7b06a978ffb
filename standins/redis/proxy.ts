import {
  type FaultControl,
  Faults,
  SwitchableServer,
} from "@herald/standin-faults";
import { RedisConnectionPool } from "./connection_pool.ts";
import { parseRedisUrl } from "./redis_url.ts";
import { createRedisRestApp, internalProxyError } from "./rest_app.ts";

export interface RedisRestProxyOptions {
  hostname?: string;
  /** 0 picks a free port; defaults to 8079. */
  port?: number;
  token: string;
  /** `redis://[user[:password]@]host[:port][/db]` */
  redisUrl: string;
  log?: (line: string) => void;
}

export interface RedisRestProxy {
  url: string;
  port: number;
  /** Failures, delays and outages to inject (also `/dev/faults`). */
  faults: FaultControl;
  close(): Promise<void>;
}

const DEFAULT_PORT = 8079;
const MAX_CONNECTIONS = 16;
const CONNECT_TIMEOUT_MS = 2_000;
/** A request that Redis has not answered by then fails with a 500. */
const COMMAND_TIMEOUT_MS = 10_000;
/** Blocking commands must give up before the proxy does. */
const MAX_BLOCK_MS = COMMAND_TIMEOUT_MS - 1_000;

/**
 * Serves the Upstash Redis REST API in front of a real redis-server, so
 * @upstash/redis and @upstash/ratelimit run locally without an account.
 */
export function startRedisRestProxy(
  opts: RedisRestProxyOptions,
): Promise<RedisRestProxy> {
  try {
    return Promise.resolve(serveProxy(opts));
  } catch (error) {
    return Promise.reject(error);
  }
}

function serveProxy(opts: RedisRestProxyOptions): RedisRestProxy {
  if (opts.token.trim() === "") {
    throw new Error("The Redis REST proxy needs a non-empty token");
  }
  const endpoint = parseRedisUrl(opts.redisUrl);
  const hostname = opts.hostname ?? "127.0.0.1";
  const requestedPort = opts.port ?? DEFAULT_PORT;
  const pool = new RedisConnectionPool({
    endpoint,
    maxConnections: MAX_CONNECTIONS,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    commandTimeoutMs: COMMAND_TIMEOUT_MS,
  });
  const log = opts.log ?? (() => {});
  // Only the proxy goes away: redis-server and the pooled connections to it
  // stay, as when Upstash's REST front is unreachable.
  const faults = new Faults({
    name: "redis-rest",
    failure: internalProxyError,
    exempt: (path) => path.startsWith("/dev/"),
    log,
  });
  const app = createRedisRestApp({
    token: opts.token,
    exec: (commands) => pool.exec(commands),
    maxBlockMs: MAX_BLOCK_MS,
    faults,
    log,
  });
  let server: SwitchableServer;
  try {
    server = new SwitchableServer({
      hostname,
      port: requestedPort,
      handler: faults.wrap(app.fetch),
    });
  } catch (cause) {
    pool.close();
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new Error(
      `The Redis REST proxy cannot listen on ${hostname}:${requestedPort}: ${why}`,
      { cause },
    );
  }
  faults.attach(server);
  const port = server.port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost(hostname)}:${port}`,
    port,
    faults,
    close() {
      faults.dispose();
      closing ??= server.close().finally(() => pool.close());
      return closing;
    },
  };
}

/** A wildcard address is not something a client can dial. */
function urlHost(hostname: string): string {
  if (hostname === "0.0.0.0" || hostname === "::") return "127.0.0.1";
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}
