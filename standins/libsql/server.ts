/**
 * A sqld-compatible Hrana-over-HTTP server for a local libSQL file, so code
 * that can only reach libSQL over HTTP (Workers, `@libsql/client/web`) runs
 * locally against a real database with zero accounts.
 */
import { dirname, join } from "node:path";
import {
  type FaultControl,
  Faults,
  SwitchableServer,
} from "@herald/standin-faults";
import { ConnectionPool } from "./connection_pool.ts";
import { createHranaApp, internalServerError } from "./http_app.ts";
import {
  initializeDatabaseFile,
  SqliteConnection,
  type StatementKind,
} from "./sqlite_connection.ts";
import { StatementCounts } from "./statement_counts.ts";
import { StreamRegistry } from "./stream_registry.ts";

export interface LibsqlDevServerOptions {
  hostname?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Path to the database file; ":memory:" uses a throwaway file removed on close. */
  file: string;
  /** When set, pipeline and cursor requests must carry `Authorization: Bearer <token>`. */
  authToken?: string;
  /** How long a stream may sit idle before it expires (default 10 s, like sqld). */
  streamIdleMs?: number;
  log?: (line: string) => void;
}

export interface LibsqlDevServer {
  /** e.g. http://127.0.0.1:8081 */
  url: string;
  port: number;
  /**
   * What happens inside, for tests that must wait for it rather than for a
   * while: "stream-expired" when an idle stream expires, "lock-wait" when a
   * statement starts waiting for another stream's write lock.
   */
  events: EventTarget;
  /** Failures, delays and outages to inject (also `/dev/faults`). */
  faults: FaultControl;
  close(): Promise<void>;
}

const DEFAULT_HOSTNAME = "127.0.0.1";
const DEFAULT_PORT = 8081;
const DEFAULT_STREAM_IDLE_MS = 10_000;

interface DatabaseFile {
  path: string;
  remove(): Promise<void>;
}

/**
 * Every stream has its own connection, and each ":memory:" connection would be
 * a separate empty database, so "in memory" is a temporary file instead.
 */
async function resolveDatabaseFile(file: string): Promise<DatabaseFile> {
  if (file === ":memory:") {
    const dir = await Deno.makeTempDir({ prefix: "herald-libsql-" });
    return {
      path: join(dir, "memory.db"),
      remove: () => Deno.remove(dir, { recursive: true }),
    };
  }
  await Deno.mkdir(dirname(file), { recursive: true });
  return { path: file, remove: () => Promise.resolve() };
}

function urlHost(hostname: string): string {
  if (hostname === "0.0.0.0") return DEFAULT_HOSTNAME;
  if (hostname === "::") return "[::1]";
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}

export async function startLibsqlDevServer(
  opts: LibsqlDevServerOptions,
): Promise<LibsqlDevServer> {
  const log = opts.log ?? (() => {});
  const hostname = opts.hostname ?? DEFAULT_HOSTNAME;
  const database = await resolveDatabaseFile(opts.file);
  const events = new EventTarget();
  const signal = (type: string) => () => events.dispatchEvent(new Event(type));
  const counts = new StatementCounts();
  const observer = {
    lockWait: signal("lock-wait"),
    statement: (kind: StatementKind) => counts.count(kind),
  };
  const registry = new StreamRegistry({
    connections: new ConnectionPool(() =>
      new SqliteConnection(database.path, observer)
    ),
    idleMs: opts.streamIdleMs ?? DEFAULT_STREAM_IDLE_MS,
    onExpired: signal("stream-expired"),
    log,
  });
  const faults = new Faults({
    name: "libsql",
    failure: internalServerError,
    exempt: (path) => path.startsWith("/dev/"),
    // Like a restart of sqld: streams die with the server, and whatever
    // transaction one held is rolled back.
    hooks: { wentDown: () => registry.closeAll() },
    log,
  });
  let server: SwitchableServer;
  try {
    initializeDatabaseFile(database.path);
    const app = createHranaApp({
      registry,
      authToken: opts.authToken,
      counts,
      faults,
      log,
    });
    server = new SwitchableServer({
      hostname,
      port: opts.port ?? DEFAULT_PORT,
      handler: faults.wrap(app.fetch),
    });
  } catch (error) {
    await database.remove();
    throw error;
  }
  faults.attach(server);

  const port = server.port;
  const url = `http://${urlHost(hostname)}:${port}`;
  log(`libsql: serving ${opts.file} over Hrana at ${url}`);

  let closing: Promise<void> | undefined;
  const close = async () => {
    faults.dispose();
    // In-flight requests finish first, so no stream is mid-statement when closed.
    await server.close();
    registry.closeAll();
    await database.remove();
    log("libsql: server closed");
  };
  return {
    url,
    port,
    events,
    faults,
    close: () => closing ??= close(),
  };
}
