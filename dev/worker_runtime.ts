import type { Miniflare, MiniflareOptions } from "miniflare";
import { dirname, join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { z } from "zod";

/**
 * The bundled Worker in workerd through Miniflare, configured from
 * wrangler.toml as Cloudflare would run it: its compatibility date and
 * flags, its Durable Objects (SQLite storage), its version metadata. One
 * place for `deno task dev` and the test stack, so both run the same thing.
 *
 * Nothing of wrangler's dev server runs here: no proxy worker and no
 * inspector proxy, whose debug log posts one request to wrangler's own
 * loopback server for every event of the Worker's inspector — under a
 * burst that left tens of thousands of sockets in CLOSE-WAIT in workerd.
 * Miniflare logs nothing itself (its default), so it calls its loopback
 * server for no request either; the Worker's console goes to stdout.
 */
const wranglerSchema = z.object({
  compatibility_date: z.string(),
  compatibility_flags: z.array(z.string()).default([]),
  vars: z.record(z.string(), z.string()).default({}),
  durable_objects: z.object({
    bindings: z.array(z.object({ name: z.string(), class_name: z.string() })),
  }),
  version_metadata: z.object({ binding: z.string() }).optional(),
  assets: z.object({ directory: z.string() }).optional(),
});

export type WranglerConfig = z.infer<typeof wranglerSchema>;

export async function readWranglerConfig(
  path: string,
): Promise<WranglerConfig> {
  return wranglerSchema.parse(parseToml(await Deno.readTextFile(path)));
}

export interface WorkerRuntimeOptions {
  /** The bundle `wrangler deploy --dry-run` wrote (`<outdir>/worker.js`). */
  bundle: string;
  /** The repository root: wrangler.toml's paths are read from there. */
  root: string;
  wrangler: WranglerConfig;
  /** Every var and secret, strings only (wrangler.toml's vars not added). */
  bindings: Record<string, string>;
  host: string;
  port: number;
  /** Where Durable Objects keep their SQLite files; in memory without. */
  persistDir?: string;
  /**
   * Whether Miniflare routes requests through Workers Static Assets first
   * (default). Benchmarks turn it off: on Cloudflare that routing happens
   * before the Worker and is not billed to it, but Miniflare emulates it
   * as one more worker in the same workerd process, which every request
   * and every open socket then passes through — ~57 KiB of memory a
   * WebSocket and ~1.3 ms of CPU a request that no floor carries.
   */
  staticAssets?: boolean;
}

export function workerRuntimeOptions(
  opts: WorkerRuntimeOptions,
): MiniflareOptions {
  const { wrangler } = opts;
  return {
    // Listed, not traced: the QStash SDK bundles a dev-server launcher with
    // dynamic `node:` imports that Miniflare's tracer refuses (never run).
    modules: [{ type: "ESModule", path: opts.bundle }],
    // Module names are paths from here; the bundle may live outside the cwd.
    modulesRoot: dirname(opts.bundle),
    compatibilityDate: wrangler.compatibility_date,
    compatibilityFlags: wrangler.compatibility_flags,
    durableObjects: Object.fromEntries(
      wrangler.durable_objects.bindings.map((
        b,
      ) => [b.name, { className: b.class_name, useSQLite: true }]),
    ),
    ...(opts.persistDir ? { durableObjectsPersist: opts.persistDir } : {}),
    bindings: opts.bindings,
    ...(wrangler.version_metadata
      ? { versionMetadata: wrangler.version_metadata.binding }
      : {}),
    // Static files answer before the Worker, as on Cloudflare (the docs
    // page's script; `scripts/build_docs.ts` puts it there).
    ...(wrangler.assets && opts.staticAssets !== false
      ? {
        assets: {
          directory: join(opts.root, wrangler.assets.directory),
          routerConfig: { has_user_worker: true },
        },
      }
      : {}),
    host: opts.host,
    port: opts.port,
  };
}

/**
 * Runs the Worker's cron trigger once, to completion, as Cloudflare does
 * each minute. Through the Worker's own handle: with static assets, the
 * URL trigger (`/cdn-cgi/handler/scheduled`) reaches the assets router,
 * which has no scheduled handler.
 */
export async function runScheduled(mf: Miniflare): Promise<void> {
  const worker: unknown = await mf.getWorker();
  if (!canRunScheduled(worker)) {
    throw new Error("The Worker has no scheduled() to call");
  }
  const result = await worker.scheduled({ cron: "* * * * *" });
  if (result.outcome !== "ok") {
    throw new Error(`cron trigger: ${result.outcome}`);
  }
}

/**
 * Miniflare's Worker handle has `scheduled()`, but its types (workers-types
 * remapped for Node) lose it under Deno's own Request type.
 */
interface ScheduledRunner {
  scheduled(options: { cron: string }): Promise<{ outcome: string }>;
}

function canRunScheduled(worker: unknown): worker is ScheduledRunner {
  return typeof worker === "object" && worker !== null &&
    typeof Reflect.get(worker, "scheduled") === "function";
}
