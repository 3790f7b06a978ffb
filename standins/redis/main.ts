/**
 * Runs the Upstash Redis REST proxy in front of a running redis-server:
 *
 *   deno run -A standins/redis/main.ts --token dev-token \
 *     [--port 8079] [--redis redis://127.0.0.1:6379] [--hostname 127.0.0.1]
 */
import { z } from "zod";
import { startRedisRestProxy } from "./proxy.ts";

const cliOptions = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(8079),
  token: z.string({ error: "--token is required" }).min(
    1,
    "--token must not be empty",
  ),
  redis: z.string().default("redis://127.0.0.1:6379"),
  hostname: z.string().default("127.0.0.1"),
});

const KNOWN_FLAGS = new Set(["port", "token", "redis", "hostname"]);

/** `--name value` and `--name=value` pairs; anything else is an error. */
function readFlags(args: string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const match = arg.match(/^--([a-z]+)(?:=(.*))?$/);
    if (!match?.[1] || !KNOWN_FLAGS.has(match[1])) {
      throw new Error(`Unknown argument "${arg}"`);
    }
    const value = match[2] ?? args[++i];
    if (value === undefined) throw new Error(`${arg} needs a value`);
    flags[match[1]] = value;
  }
  return flags;
}

async function main(): Promise<void> {
  let options: z.infer<typeof cliOptions>;
  try {
    const parsed = cliOptions.safeParse(readFlags(Deno.args));
    if (!parsed.success) {
      throw new Error(parsed.error.issues.map((i) => i.message).join("; "));
    }
    options = parsed.data;
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    Deno.exit(2);
  }

  const proxy = await startRedisRestProxy({
    hostname: options.hostname,
    port: options.port,
    token: options.token,
    redisUrl: options.redis,
    log: (line) => console.log(line),
  });
  console.log(`Upstash Redis REST proxy on ${proxy.url} → ${options.redis}`);

  const shutdown = async () => {
    await proxy.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", shutdown);
  Deno.addSignalListener("SIGTERM", shutdown);
}

if (import.meta.main) await main();
