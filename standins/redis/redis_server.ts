import { RespConnection } from "./resp_connection.ts";
import { ProcessLog } from "./process_log.ts";

export interface RedisServerProcess {
  port: number;
  /** `redis://127.0.0.1:<port>` */
  url: string;
  stop(): Promise<void>;
}

export interface StartRedisServerOptions {
  /** 0 or omitted picks a free port. */
  port?: number;
  /** Persistence directory (AOF + RDB); omitted keeps everything in memory. */
  dir?: string;
}

const HOST = "127.0.0.1";
const WELL_KNOWN_DIRS = ["/usr/bin", "/usr/local/bin", "/opt/homebrew/bin"];
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;
const FREE_PORT_ATTEMPTS = 3;

/** The path of redis-server on PATH or in the usual places, or null. */
export async function findRedisServer(): Promise<string | null> {
  let pathDirs: string[] = [];
  try {
    pathDirs = (Deno.env.get("PATH") ?? "").split(":").filter(Boolean);
  } catch {
    // Without env permission the usual places are still worth a look.
  }
  for (const dir of new Set([...pathDirs, ...WELL_KNOWN_DIRS])) {
    const candidate = `${dir.replace(/\/+$/, "")}/redis-server`;
    if (await isExecutableFile(candidate)) return candidate;
  }
  return null;
}

/** Spawns redis-server and resolves once it answers PING. */
export async function startRedisServer(
  opts: StartRedisServerOptions = {},
): Promise<RedisServerProcess> {
  const binary = await findRedisServer();
  if (binary === null) {
    throw new Error(
      "redis-server is not installed: install it (apt install redis-server, brew install redis) and put it on PATH",
    );
  }
  let dir: string | undefined;
  if (opts.dir !== undefined) {
    await Deno.mkdir(opts.dir, { recursive: true });
    dir = await Deno.realPath(opts.dir);
  }
  if (opts.port) return await launch(binary, opts.port, dir);
  // A port found free can be taken before redis-server binds it; try again.
  for (let attempt = 1;; attempt++) {
    try {
      return await launch(binary, pickFreePort(), dir);
    } catch (error) {
      const portTaken = error instanceof Error &&
        error.message.includes("Address already in use");
      if (!portTaken || attempt >= FREE_PORT_ATTEMPTS) throw error;
    }
  }
}

async function launch(
  binary: string,
  port: number,
  dir: string | undefined,
): Promise<RedisServerProcess> {
  const child = new Deno.Command(binary, {
    args: serverArgs(port, dir),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const log = new ProcessLog(child.stdout, child.stderr);
  let exit: Deno.CommandStatus | undefined;
  const exited = child.status.then((status) => {
    exit = status;
  });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (exit === undefined) child.kill("SIGTERM");
      // SIGTERM makes Redis save and exit; a wedged one gets SIGKILL.
      const timer = setTimeout(() => {
        if (exit === undefined) child.kill("SIGKILL");
      }, STOP_TIMEOUT_MS);
      try {
        await exited;
        await log.closed;
      } finally {
        clearTimeout(timer);
      }
    })();
    return stopping;
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await answersPing(port))) {
    if (exit !== undefined || Date.now() > deadline) {
      const why = exit === undefined
        ? `did not answer PING within ${READY_TIMEOUT_MS} ms`
        : `exited with code ${exit.code}`;
      await stop();
      throw new Error(
        `redis-server on port ${port} ${why}. Its log:\n${log.tail()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, url: `redis://${HOST}:${port}`, stop };
}

function serverArgs(port: number, dir: string | undefined): string[] {
  const common = [
    "--port",
    String(port),
    "--bind",
    HOST,
    "--daemonize",
    "no",
    "--loglevel",
    "warning",
    "--logfile",
    "",
  ];
  if (dir === undefined) {
    return [...common, "--save", "", "--appendonly", "no"];
  }
  return [...common, "--dir", dir, "--appendonly", "yes"];
}

async function answersPing(port: number): Promise<boolean> {
  try {
    const conn = await RespConnection.open({ hostname: HOST, port }, 500);
    try {
      const [reply] = await conn.exec([["PING"]], 1_000);
      return reply?.kind === "simple" && reply.value === "PONG";
    } finally {
      conn.close();
    }
  } catch {
    return false;
  }
}

function pickFreePort(): number {
  const listener = Deno.listen({ hostname: HOST, port: 0 });
  try {
    return listener.addr.port;
  } finally {
    listener.close();
  }
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    const info = await Deno.stat(path);
    return info.isFile && (info.mode === null || (info.mode & 0o111) !== 0);
  } catch {
    return false;
  }
}
