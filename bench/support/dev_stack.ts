import { Client } from "@upstash/qstash";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { DEV_QSTASH_TOKEN } from "@herald/standin-qstash";
import { childPids } from "./processes.ts";

/**
 * `deno task dev` as a benchmark drives it: the launcher in a process of its
 * own (stand-ins there, the Worker's workerd in its child), on free ports
 * with fresh state, so a developer's stack on 8787 is left alone. The bench
 * is only a client: Herald's HTTP API, the stand-ins' dev controls
 * (faults, clock) over HTTP, and /proc for workerd's open files.
 */
const DEV = fileURLToPath(new URL("../../dev/dev.ts", import.meta.url));

const info = z.object({
  devStack: z.object({
    url: z.string(),
    apiKey: z.string(),
    qstashUrl: z.string(),
    libsqlUrl: z.string(),
    redisRestUrl: z.string().nullable(),
    redisToken: z.string().nullable(),
    workerHostPid: z.number(),
    cronUrl: z.string(),
  }),
});

export type Part = "qstash" | "libsql" | "redis";

export interface DevStack {
  url: string;
  admin(path: string, init?: RequestInit): Promise<Response>;
  /** The official client on the stack's QStash. */
  qstash: Client;
  /** Open file descriptors of the Worker's workerd (/proc/<pid>/fd). */
  workerdFiles(): number;
  /** Lines the stack wrote that contain `text` (e.g. "Too many open files"). */
  linesWith(text: string): number;
  /** `POST` (or `DELETE` without a body) to a stand-in's fault controls. */
  faults(part: Part, body?: Record<string, number>): Promise<void>;
  advanceClock(ms: number): Promise<void>;
  /** The Worker's cron trigger, run to completion. */
  runCron(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `vars` go into the stack's .dev.vars, which the launcher hands to the
 * Worker (with the secrets it generates next to them).
 */
export async function startDevStack(
  vars: Record<string, string> = {},
): Promise<DevStack> {
  const dir = await Deno.makeTempDir({ prefix: "herald-bench-dev-" });
  await Deno.writeTextFile(
    `${dir}/dev.vars`,
    Object.entries(vars).map(([k, v]) => `${k}=${v}\n`).join(""),
    { mode: 0o600 },
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      DEV,
      "--any-ports",
      "--state",
      dir,
      "--vars",
      `${dir}/dev.vars`,
      "--json",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const counted = new Map<string, number>();
  const watched = ["Too many open files", "restarted mid-request"];
  let found: z.infer<typeof info>["devStack"] | undefined;
  const onLine = (line: string) => {
    for (const text of watched) {
      if (line.includes(text)) counted.set(text, (counted.get(text) ?? 0) + 1);
    }
    if (found === undefined && line.startsWith('{"devStack"')) {
      found = info.parse(JSON.parse(line)).devStack;
    }
  };
  const reading = Promise.all([
    eachLine(child.stdout, onLine),
    eachLine(child.stderr, onLine),
  ]);
  while (found === undefined) {
    const status = await Promise.race([
      child.status,
      new Promise((r) => setTimeout(r, 100)),
    ]);
    if (status) throw new Error("deno task dev ended before it was up");
  }
  const stack = found;
  const [workerd] = childPids(stack.workerHostPid, "workerd");
  if (workerd === undefined) throw new Error("No workerd under the dev stack");
  const devCall = async (url: string, method: string, body?: unknown) => {
    const res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${DEV_QSTASH_TOKEN}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status}`);
    await res.body?.cancel();
  };
  const faultUrls: Record<Part, { url: string; token: string }> = {
    qstash: {
      url: `${stack.qstashUrl}/v2/dev/faults`,
      token: DEV_QSTASH_TOKEN,
    },
    libsql: { url: `${stack.libsqlUrl}/dev/faults`, token: "" },
    redis: {
      url: `${stack.redisRestUrl}/dev/faults`,
      token: stack.redisToken ?? "",
    },
  };
  return {
    url: stack.url,
    admin(path, init = {}) {
      const headers = new Headers(init.headers);
      headers.set("authorization", `Bearer ${stack.apiKey}`);
      return fetch(`${stack.url}${path}`, { ...init, headers });
    },
    qstash: new Client({
      baseUrl: stack.qstashUrl,
      token: DEV_QSTASH_TOKEN,
      retry: false,
      enableTelemetry: false,
    }),
    workerdFiles: () => [...Deno.readDirSync(`/proc/${workerd}/fd`)].length,
    linesWith: (text) => counted.get(text) ?? 0,
    async faults(part, body) {
      const { url, token } = faultUrls[part];
      const res = await fetch(url, {
        method: body === undefined ? "DELETE" : "POST",
        headers: token ? { authorization: `Bearer ${token}` } : {},
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`faults ${part}: ${res.status}`);
      await res.body?.cancel();
    },
    advanceClock: (ms) =>
      devCall(`${stack.qstashUrl}/v2/dev/clock`, "POST", { advance: ms }),
    async runCron() {
      const res = await fetch(stack.cronUrl, { method: "POST" });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`cron: ${res.status}`);
    },
    async close() {
      child.kill("SIGINT");
      await child.status;
      await reading;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Calls `onLine` for every line of `stream`; resolves at its end. */
async function eachLine(
  stream: ReadableStream<Uint8Array<ArrayBuffer>>,
  onLine: (line: string) => void,
): Promise<void> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    const parts = buffer.split("\n");
    buffer = parts.pop() ?? "";
    parts.forEach(onLine);
  }
  if (buffer) onLine(buffer);
}
