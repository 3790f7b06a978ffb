/**
 * Runs the Web Push service stand-in on its own:
 *
 *   deno run -A standins/push/main.ts [--port 8077] [--hostname 127.0.0.1]
 */
import { z } from "zod";
import { cliOptionsOrExit } from "@herald/standin-faults";
import { startPushServiceStandIn } from "./server.ts";

const cliOptions = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(8077),
  hostname: z.string().default("127.0.0.1"),
});

async function main(): Promise<void> {
  const options = cliOptionsOrExit(cliOptions, Deno.args);
  const standIn = await startPushServiceStandIn({
    ...options,
    log: (line) => console.log(line),
  });
  console.log(`Web Push service stand-in on ${standIn.url}`);
  const shutdown = async () => {
    await standIn.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", shutdown);
  Deno.addSignalListener("SIGTERM", shutdown);
}

if (import.meta.main) await main();
