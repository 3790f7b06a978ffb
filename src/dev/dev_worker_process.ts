import { z } from "zod";
import { fileURLToPath } from "node:url";
import { type DevWorker, startDevWorker } from "./dev_worker.ts";
import { AddressInUse, isAddressInUse } from "./offered_port.ts";

/**
 * `deno task dev`'s Worker in a process of its own, as wrangler ran it:
 * the stand-ins keep the launcher's event loop to themselves (sharing it
 * with the Miniflare host adds stalls to both), and Miniflare's own exit
 * hook — which ends its process on SIGINT before any async clean-up could
 * run — only ends this one, while the launcher stops the stand-ins.
 *
 * The launcher writes the options as one JSON line on the child's stdin
 * (secrets never go on a command line) and closes stdin to stop it; the
 * Worker's console goes straight to the terminal.
 */
const optionsLine = z.object({
  root: z.string(),
  stateDir: z.string(),
  bindings: z.record(z.string(), z.string()),
  host: z.string(),
  port: z.number().int(),
});
type ChildOptions = z.infer<typeof optionsLine>;

/** The child's exit code when its port was taken first. */
const EXIT_ADDRESS_IN_USE = 3;

export interface DevWorkerProcess extends DevWorker {
  /** The process hosting Miniflare (workerd is its child). */
  pid: number;
}

export async function spawnDevWorker(
  opts: ChildOptions,
): Promise<DevWorkerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", fileURLToPath(import.meta.url)],
    stdin: "piped",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const stdin = child.stdin.getWriter();
  await stdin.write(new TextEncoder().encode(JSON.stringify(opts) + "\n"));
  const url = `http://${opts.host}:${opts.port}`;
  let ended: Deno.CommandStatus | null = null;
  void child.status.then((status) => ended = status);
  if (!(await answering(url, () => ended !== null))) {
    const { code } = await child.status;
    if (code === EXIT_ADDRESS_IN_USE) {
      throw new AddressInUse(`port ${opts.port} was taken`);
    }
    throw new Error(`the Worker's process ended (code ${code})`);
  }
  return {
    url,
    pid: child.pid,
    async close() {
      await stdin.close().catch(() => {});
      await child.status;
    },
  };
}

/** Whether anything answers HTTP at `url` before `ended()` holds. */
async function answering(url: string, ended: () => boolean): Promise<boolean> {
  while (!ended()) {
    try {
      const res = await fetch(`${url}/health`);
      await res.body?.cancel();
      return true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return false;
}

async function main(): Promise<void> {
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream())
    .getReader();
  let buffer = "";
  while (!buffer.includes("\n")) {
    const chunk = await lines.read();
    if (chunk.done) Deno.exit(2);
    buffer += chunk.value;
  }
  const opts = optionsLine.parse(
    JSON.parse(buffer.slice(0, buffer.indexOf("\n"))),
  );
  let worker: DevWorker;
  try {
    worker = await startDevWorker({
      ...opts,
      log: (line) => console.error(`[dev] ${line}`),
    });
  } catch (error) {
    if (isAddressInUse(error)) Deno.exit(EXIT_ADDRESS_IN_USE);
    console.error(`The Worker did not start: ${error}`);
    Deno.exit(1);
  }
  // Runs until the launcher closes stdin.
  while (!(await lines.read()).done) { /* nothing else is sent */ }
  await worker.close();
  Deno.exit(0);
}

if (import.meta.main) await main();
