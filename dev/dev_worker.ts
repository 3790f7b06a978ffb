import { Miniflare } from "miniflare";
import { join } from "node:path";
import {
  readWranglerConfig,
  runScheduled,
  workerRuntimeOptions,
} from "./worker_runtime.ts";

/**
 * `deno task dev`'s Worker: bundled as `deno task build` bundles it
 * (wrangler's dry-run deploy, into the dev state directory so a test run's
 * `dist/` is never touched), run in workerd through Miniflare, and bundled
 * again and swapped in (`setOptions`) whenever a file under src/ changes.
 * A build that fails is reported and the running Worker kept.
 */
const WRANGLER = "npm:wrangler@4.86.0";
/** Editors write a file in several steps: build once they are done. */
const SETTLE_MS = 250;

export interface DevWorkerOptions {
  /** The repository root (wrangler.toml, src/). */
  root: string;
  /** Where the bundle and Durable Object storage go. */
  stateDir: string;
  /** Every binding but wrangler.toml's vars, which come first. */
  bindings: Record<string, string>;
  host: string;
  port: number;
  log: (line: string) => void;
}

export interface DevWorker {
  url: string;
  /** Runs the cron trigger once, to completion. */
  runCron(): Promise<void>;
  close(): Promise<void>;
}

export async function startDevWorker(
  opts: DevWorkerOptions,
): Promise<DevWorker> {
  const outDir = join(opts.stateDir, "worker");
  const options = async () => {
    const wrangler = await readWranglerConfig(join(opts.root, "wrangler.toml"));
    return workerRuntimeOptions({
      bundle: join(outDir, "worker.js"),
      root: opts.root,
      wrangler,
      bindings: { ...wrangler.vars, ...opts.bindings },
      host: opts.host,
      port: opts.port,
      persistDir: join(opts.stateDir, "durable-objects"),
    });
  };
  await buildWorker(opts.root, outDir);
  const mf = new Miniflare(await options());
  try {
    await mf.ready;
  } catch (error) {
    await mf.dispose().catch(() => {});
    throw error;
  }
  const watcher = Deno.watchFs(join(opts.root, "src"), { recursive: true });
  const watching = rebuildOnChange(watcher, async () => {
    try {
      await buildWorker(opts.root, outDir);
      await mf.setOptions(await options());
      opts.log("Worker rebuilt and reloaded");
    } catch (error) {
      opts.log(`Worker not reloaded: ${errorText(error)}`);
    }
  });
  return {
    url: `http://${opts.host}:${opts.port}`,
    runCron: () => runScheduled(mf),
    async close() {
      watcher.close();
      await watching;
      await mf.dispose();
    },
  };
}

/** Runs `rebuild` once changes settle; one rebuild at a time. */
async function rebuildOnChange(
  watcher: Deno.FsWatcher,
  rebuild: () => Promise<void>,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = Promise.resolve();
  for await (const event of watcher) {
    if (event.kind === "access") continue;
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = running.then(rebuild);
    }, SETTLE_MS);
  }
  clearTimeout(timer);
  await running;
}

/** `wrangler deploy --dry-run`: the same bundle `deno task build` makes. */
export async function buildWorker(root: string, outDir: string) {
  const built = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", WRANGLER, "deploy", "--dry-run", "--outdir", outDir],
    cwd: root,
    env: { WRANGLER_SEND_METRICS: "false" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!built.success) {
    const output = new TextDecoder().decode(built.stderr) +
      new TextDecoder().decode(built.stdout);
    throw new Error(`the build failed:\n${output.trim().slice(-4_000)}`);
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
