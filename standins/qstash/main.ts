import { type QStashDevServerOptions, startQStashDevServer } from "./server.ts";

/**
 * CLI: `deno run -A standins/qstash/main.ts [--port 8080] [--hostname
 * 127.0.0.1] [--state .dev/qstash.json]`. Stops cleanly (state flushed) on
 * SIGINT/SIGTERM.
 */
const USAGE =
  "usage: main.ts [--port <n>] [--hostname <host>] [--state <file.json>]";

function parseArgs(args: string[]): QStashDevServerOptions {
  const options: QStashDevServerOptions = {
    log: (line) => console.log(`[qstash-dev] ${line}`),
  };
  for (let i = 0; i < args.length; i++) {
    const [flag = "", inline] = (args[i] ?? "").split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case "--port": {
        const port = Number(value());
        if (!Number.isInteger(port) || port < 0 || port > 65_535) {
          throw new Error(`--port must be 0–65535\n${USAGE}`);
        }
        options.port = port;
        break;
      }
      case "--hostname":
        options.hostname = value();
        break;
      case "--state":
        options.stateFile = value();
        break;
      default:
        throw new Error(`unknown argument "${args[i]}"\n${USAGE}`);
    }
  }
  return options;
}

if (import.meta.main) {
  let options: QStashDevServerOptions;
  try {
    options = parseArgs(Deno.args);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    Deno.exit(2);
  }
  const server = await startQStashDevServer(options);
  const stop = async () => {
    await server.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
