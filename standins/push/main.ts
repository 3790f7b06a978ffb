/**
 * Runs the Web Push service stand-in on its own:
 *
 *   deno run -A standins/push/main.ts [--port 8077] [--hostname 127.0.0.1]
 */
import { z } from "zod";
import { startPushServiceStandIn } from "./server.ts";

const cliOptions = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(8077),
  hostname: z.string().default("127.0.0.1"),
});

const KNOWN_FLAGS = new Set(["port", "hostname"]);

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
