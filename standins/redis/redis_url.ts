/** Where and how to reach redis-server, read from a `redis://` URL. */
export interface RedisEndpoint {
  hostname: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
}

const DEFAULT_REDIS_PORT = 6379;

/** Parses `redis://[user[:password]@]host[:port][/db]`; throws on anything else. */
export function parseRedisUrl(raw: string): RedisEndpoint {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`Redis URL "${raw}" is not a valid URL`);
  }
  if (url.protocol !== "redis:") {
    throw new Error(
      `Redis URL "${raw}" must start with redis:// (TLS is not supported)`,
    );
  }
  if (url.hostname === "") {
    throw new Error(`Redis URL "${raw}" has no host`);
  }
  const endpoint: RedisEndpoint = {
    // URL keeps the brackets of an IPv6 literal; Deno.connect wants it bare.
    hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port === "" ? DEFAULT_REDIS_PORT : Number(url.port),
  };
  if (url.username !== "") {
    endpoint.username = decodeURIComponent(url.username);
  }
  if (url.password !== "") {
    endpoint.password = decodeURIComponent(url.password);
  }
  const dbPath = url.pathname.replace(/^\//, "");
  if (dbPath !== "") {
    const db = Number(dbPath);
    if (!Number.isInteger(db) || db < 0) {
      throw new Error(`Redis URL "${raw}" has an invalid database "${dbPath}"`);
    }
    endpoint.db = db;
  }
  return endpoint;
}

/** The commands a fresh connection runs before it may serve requests. */
export function handshakeCommands(endpoint: RedisEndpoint): string[][] {
  const commands: string[][] = [];
  if (endpoint.password !== undefined) {
    commands.push(
      endpoint.username === undefined
        ? ["AUTH", endpoint.password]
        : ["AUTH", endpoint.username, endpoint.password],
    );
  }
  if (endpoint.db !== undefined && endpoint.db !== 0) {
    commands.push(["SELECT", String(endpoint.db)]);
  }
  return commands;
}
