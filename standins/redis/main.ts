/**
 * Runs the Upstash Redis REST proxy in front of a running redis-server:
 *
 *   deno run -A standins/redis/main.ts --token dev-token \
 *     [--port 8079] [--redis redis://127.0.0.1:6379] [--hostname 127.0.0.1]
 */
import { z } from "zod";
import { cliOptionsOrExit } from "@herald/standin-faults";
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

async function main(): Promise<void> {
  const options = cliOptionsOrExit(cliOptions, Deno.args);

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
