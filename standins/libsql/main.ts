/**
 * CLI for the libSQL dev server:
 *   deno run -A standins/libsql/main.ts --port 8081 --file .dev/herald.db
 * Options: --hostname (127.0.0.1), --port (8081), --file (.dev/herald.db),
 * --auth-token (none), --stream-idle-ms (10000). Stops cleanly on SIGINT/SIGTERM.
 */
import { type LibsqlDevServerOptions, startLibsqlDevServer } from "./server.ts";

const FLAGS = [
  "hostname",
  "port",
  "file",
  "auth-token",
  "stream-idle-ms",
] as const;
type Flag = typeof FLAGS[number];

function isFlag(name: string): name is Flag {
  return (FLAGS as readonly string[]).includes(name);
}

/** Accepts `--name value` and `--name=value`; anything else is an error. */
function parseFlags(args: string[]): Map<Flag, string> {
  const flags = new Map<Flag, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    const name = match?.[1];
    if (name === undefined || !isFlag(name)) {
      throw new Error(
        `Unknown argument "${arg}" (expected one of ${
          FLAGS.map((f) => `--${f}`).join(", ")
        })`,
      );
    }
    const value = match?.[2] ?? args[++i];
    if (value === undefined) throw new Error(`Missing value for "--${name}"`);
    flags.set(name, value);
  }
  return flags;
}

function parseInteger(
  flag: Flag,
  text: string,
  min: number,
  max: number,
): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(
      `Invalid --${flag} "${text}": expected an integer from ${min} to ${max}`,
    );
  }
  return value;
}

function optionsFrom(flags: Map<Flag, string>): LibsqlDevServerOptions {
  const port = flags.get("port");
  const idle = flags.get("stream-idle-ms");
  return {
    hostname: flags.get("hostname") ?? "127.0.0.1",
    port: port === undefined ? 8081 : parseInteger("port", port, 0, 65535),
    file: flags.get("file") ?? ".dev/herald.db",
    authToken: flags.get("auth-token"),
    streamIdleMs: idle === undefined
      ? undefined
      : parseInteger("stream-idle-ms", idle, 1, 3_600_000),
    log: (line) => console.log(line),
  };
}

async function main(): Promise<void> {
  let options: LibsqlDevServerOptions;
  try {
    options = optionsFrom(parseFlags(Deno.args));
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    Deno.exit(2);
  }
  const server = await startLibsqlDevServer(options);
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  const stop = () => {
    for (const signal of signals) Deno.removeSignalListener(signal, stop);
    server.close().catch((error) => {
      console.error(`libsql: shutdown failed: ${error}`);
      Deno.exit(1);
    });
  };
  for (const signal of signals) Deno.addSignalListener(signal, stop);
}

if (import.meta.main) await main();
