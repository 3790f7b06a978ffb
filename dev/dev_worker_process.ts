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
 * (secrets never go on a command line), then a `cron` line whenever the
 * cron trigger is to run, and closes stdin to stop it. The child answers
 * each run with one line marked as its own on stdout; every other line
 * there is the Worker's console, passed on to the terminal.
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

/** Marks the child's answers to `cron` among the Worker's console lines. */
const CRON_DONE = "\u0000herald-dev cron ";

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
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const stdin = child.stdin.getWriter();
  const send = (line: string) =>
    stdin.write(new TextEncoder().encode(line + "\n"));
  await send(JSON.stringify(opts));
  // Runs answer in the order they were asked for.
  const waiting: ((outcome: string) => void)[] = [];
  const reading = passOn(child.stdout, (outcome) => waiting.shift()?.(outcome));
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
    async runCron() {
      const outcome = new Promise<string>((resolve) => waiting.push(resolve));
      await send("cron");
      const said = await outcome;
      if (said !== "ok") throw new Error(said);
    },
    async close() {
      await stdin.close().catch(() => {});
      await child.status;
      await reading;
      for (const answer of waiting.splice(0)) answer("the Worker stopped");
    },
  };
}

/** The child's stdout to ours, but for its answers to `cron`. */
async function passOn(
  stdout: ReadableStream<Uint8Array<ArrayBuffer>>,
  answered: (outcome: string) => void,
): Promise<void> {
  let buffer = "";
  for await (const chunk of stdout.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      if (line.startsWith(CRON_DONE)) answered(line.slice(CRON_DONE.length));
      else console.log(line);
    }
  }
  if (buffer) console.log(buffer);
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
  // Runs until the launcher closes stdin; each `cron` line runs the trigger.
  buffer = buffer.slice(buffer.indexOf("\n") + 1);
  for (;;) {
    let end: number;
    while ((end = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      if (line !== "cron") continue;
      const outcome = await worker.runCron().then(
        () => "ok",
        (error) => `cron trigger failed: ${error}`.replaceAll("\n", " "),
      );
      console.log(CRON_DONE + outcome);
    }
    const chunk = await lines.read();
    if (chunk.done) break;
    buffer += chunk.value;
  }
  await worker.close();
  Deno.exit(0);
}

if (import.meta.main) await main();
