import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEMO_SEED, randomSecret } from "@herald/dev";
import { applyMigrations } from "../../scripts/migrate.ts";
import { sign } from "hono/jwt";

const ENTRY = fileURLToPath(new URL("../../src/deno.ts", import.meta.url));

export interface DenoHerald {
  url: string;
  port: number;
  pid: number;
  userToken(userId: string, roles?: string[]): Promise<string>;
  close(): Promise<void>;
}

/**
 * Herald's Deno entry (`src/deno.ts`) as deployed: its own process, a
 * `file:` database in `dir`, in-process channels, reaching the stand-ins
 * through `standInsEnv`. It binds port 0 and its "Listening on" line says
 * where.
 */
export async function startDenoHerald(
  standInsEnv: Record<string, string>,
  dir: string,
): Promise<DenoHerald> {
  const dbUrl = `file:${join(dir, "deno-bench.db")}`;
  await applyMigrations(dbUrl, { seed: DEMO_SEED });
  const jwtSecret = randomSecret(32);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ENTRY],
    env: {
      ...standInsEnv,
      LIBSQL_URL: dbUrl,
      API_KEY: randomSecret(24),
      JWT_SECRET: jwtSecret,
      PUBLIC_URL: "http://127.0.0.1",
      PORT: "0",
    },
    stdin: "null",
    stdout: "null",
    // Deno.serve says where it listens on stderr.
    stderr: "piped",
  }).spawn();
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  let port = 0;
  while (port === 0) {
    const { done, value } = await lines.read();
    if (done) throw new Error("src/deno.ts ended before listening");
    seen += value;
    port = Number(/Listening on http:\/\/[^:]+:(\d+)/.exec(seen)?.[1] ?? 0);
  }
  // Keep draining its log so it never blocks on a full pipe.
  const drained = (async () => {
    while (!(await lines.read()).done) { /* discard */ }
  })();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid,
    userToken(userId, roles) {
      const now = Math.floor(Date.now() / 1000);
      return sign(
        { sub: userId, roles, iat: now, exp: now + 86_400 },
        jwtSecret,
        "HS256",
      );
    },
    async close() {
      child.kill("SIGTERM");
      await child.status;
      await drained;
    },
  };
}
