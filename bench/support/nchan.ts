import { z } from "zod";
import { AddressInUse, startOnOfferedPort } from "@herald/dev";
import { childPids } from "./processes.ts";

/**
 * The peer: nginx with the nchan module, configured from
 * bench/nchan/nginx.conf.template in a temp dir, on loopback, in the
 * foreground as this process's child. Nothing is installed here — on Debian
 * `apt-get install -y nginx-light libnginx-mod-nchan` provides both — and
 * when nginx or the module is missing, `startNchan` says why instead.
 */

const TEMPLATE = new URL("../nchan/nginx.conf.template", import.meta.url);
const NGINX_CANDIDATES = ["/usr/sbin/nginx", "/usr/local/sbin/nginx"];
const MODULE_CANDIDATES = [
  "/usr/lib/nginx/modules/ngx_nchan_module.so",
  "/usr/lib64/nginx/modules/ngx_nchan_module.so",
  "/usr/share/nginx/modules/ngx_nchan_module.so",
];

export interface NchanOptions {
  /** nginx worker processes (Herald's workerd runs its JS on one thread). */
  workers: number;
  /** Connections each worker must hold (subscribers plus a margin). */
  connections: number;
}

export interface Nchan {
  port: number;
  version: string;
  workers: number;
  /** The master and its workers. */
  pids(): number[];
  workerPids(): number[];
  /** One message to every listed channel, in one request. */
  publish(channels: readonly string[], body: string): Promise<Response>;
  /** Subscribers nchan counts on one channel. */
  subscribers(channel: string): Promise<number>;
  close(): Promise<void>;
}

export type NchanStart =
  | { ok: true; nchan: Nchan }
  | { ok: false; reason: string };

const channelInfo = z.object({ subscribers: z.number().int() });

export async function startNchan(opts: NchanOptions): Promise<NchanStart> {
  const nginx = Deno.env.get("NGINX_BIN") ?? await firstExisting(
    NGINX_CANDIDATES,
  ) ?? await onPath("nginx");
  if (!nginx) {
    return {
      ok: false,
      reason:
        "nginx is not installed (Debian: apt-get install -y nginx-light libnginx-mod-nchan)",
    };
  }
  const version = await run(nginx, ["-V"]);
  const moduleFile = Deno.env.get("NCHAN_MODULE") ??
    await firstExisting(MODULE_CANDIDATES);
  const builtIn = /nchan/i.test(version.stderr);
  if (!moduleFile && !builtIn) {
    return {
      ok: false,
      reason:
        `nginx (${nginx}) has no nchan module (Debian: apt-get install -y libnginx-mod-nchan)`,
    };
  }
  const launched = await startOnOfferedPort((port) =>
    launch(nginx, moduleFile, port, opts)
  ).catch((error: Error) => error);
  if (launched instanceof Error) {
    return { ok: false, reason: `nginx did not start: ${launched.message}` };
  }
  const { child, port, stop } = launched;
  const base = `http://127.0.0.1:${port}`;
  const nchan: Nchan = {
    port,
    version: /nginx version: (\S+)/.exec(version.stderr)?.[1] ?? "nginx",
    workers: opts.workers,
    pids: () => [child.pid, ...childPids(child.pid, "nginx")],
    workerPids: () => childPids(child.pid, "nginx"),
    publish: (channels, body) =>
      fetch(`${base}/pub?c=${channels.join(",")}`, {
        method: "POST",
        headers: { accept: "application/json" },
        body,
      }),
    async subscribers(channel) {
      const res = await fetch(`${base}/pub?c=${channel}`, {
        headers: { accept: "application/json" },
      });
      if (res.status === 404) {
        await res.body?.cancel();
        return 0;
      }
      return channelInfo.parse(await res.json()).subscribers;
    },
    close: stop,
  };
  return { ok: true, nchan };
}

/**
 * nginx in the foreground on `port`; throws `AddressInUse` when another
 * process bound the port first, so the start is made again on another.
 */
async function launch(
  nginx: string,
  moduleFile: string | null,
  port: number,
  opts: NchanOptions,
) {
  const dir = await Deno.makeTempDir({ prefix: "herald-nchan-" });
  const conf = (await Deno.readTextFile(TEMPLATE))
    .replaceAll(
      "{{LOAD_MODULE}}",
      moduleFile ? `load_module ${moduleFile};` : "# nchan is built in",
    )
    .replaceAll("{{WORKERS}}", String(opts.workers))
    .replaceAll("{{NOFILE}}", String(hardFileLimit()))
    .replaceAll("{{CONNECTIONS}}", String(opts.connections))
    .replaceAll("{{DIR}}", dir)
    .replaceAll("{{PORT}}", String(port));
  const confFile = `${dir}/nginx.conf`;
  await Deno.writeTextFile(confFile, conf);
  const child = new Deno.Command(nginx, {
    args: ["-p", dir, "-c", confFile],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const stop = async () => {
    try {
      // QUIT would wait for every open stream; TERM is nginx's fast stop.
      child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    await child.status;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const up = await waitForPort(port, 5_000, child.status);
  if (!up) {
    await stop();
    const log = await Deno.readTextFile(`${dir}/error.log`).catch(() => "");
    const why = `${(await stderr).trim()} ${log.trim()}`;
    if (/address already in use/i.test(why)) throw new AddressInUse(why);
    throw new Error(why);
  }
  return { child, port, stop };
}

async function firstExisting(paths: readonly string[]) {
  for (const path of paths) {
    try {
      await Deno.stat(path);
      return path;
    } catch {
      // Next.
    }
  }
  return null;
}

async function onPath(name: string): Promise<string | null> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir && await firstExisting([`${dir}/${name}`])) return `${dir}/${name}`;
  }
  return null;
}

async function run(cmd: string, args: string[]) {
  const out = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { stdout: text(out.stdout), stderr: text(out.stderr) };
}

function hardFileLimit(): number {
  const limits = Deno.readTextFileSync("/proc/self/limits");
  const match = /^Max open files\s+\S+\s+(\d+|unlimited)/m.exec(limits);
  if (!match?.[1] || match[1] === "unlimited") return 1_048_576;
  return Number(match[1]);
}

async function waitForPort(
  port: number,
  timeoutMs: number,
  exited: Promise<Deno.CommandStatus>,
): Promise<boolean> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !gone) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return false;
}
