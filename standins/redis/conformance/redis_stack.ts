import { Redis, type RedisConfigNodejs } from "@upstash/redis";
import { type RedisServerProcess, startRedisServer } from "../redis_server.ts";
import { type RedisRestProxy, startRedisRestProxy } from "../proxy.ts";

/** A private redis-server with the REST proxy in front, owned by one test file. */
export interface RedisTestStack {
  server: RedisServerProcess;
  proxy: RedisRestProxy;
  token: string;
  /** Every request line the proxy logged, oldest first. */
  proxyLog: string[];
  close(): Promise<void>;
}

/** One conformance case, run as a step against the shared stack. */
export interface RedisCase {
  name: string;
  run: (stack: RedisTestStack, redis: Redis) => Promise<void>;
}

/** An @upstash/redis client for the stack's proxy, defaults unless overridden. */
export function clientFor(
  stack: RedisTestStack,
  overrides: Partial<RedisConfigNodejs> = {},
): Redis {
  return new Redis({ url: stack.proxy.url, token: stack.token, ...overrides });
}

export async function startRedisTestStack(): Promise<RedisTestStack> {
  const token = `test-${crypto.randomUUID()}`;
  const proxyLog: string[] = [];
  const server = await startRedisServer({ port: 0 });
  let proxy: RedisRestProxy;
  try {
    proxy = await startRedisRestProxy({
      port: 0,
      token,
      redisUrl: server.url,
      log: (line) => proxyLog.push(line),
    });
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    server,
    proxy,
    token,
    proxyLog,
    async close() {
      await proxy.close();
      await server.stop();
    },
  };
}

/** A port nothing listens on, for "Redis is down" cases. */
export function unusedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}
