import { z } from "zod";
import { fileURLToPath } from "node:url";
import { DEV_QSTASH_TOKEN } from "../../src/dev/qstash/credentials.ts";

const SERVER = fileURLToPath(new URL("./stack_process.ts", import.meta.url));

const handshake = z.object({
  url: z.string(),
  apiKey: z.string(),
  qstashUrl: z.string(),
});

export interface RemoteStack {
  url: string;
  /** fetch against the Worker with the admin key. */
  admin(path: string, init?: RequestInit): Promise<Response>;
  /** API calls the QStash dev server has answered. */
  qstashCalls(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Starts `stack_process.ts` (workerd + stand-ins) as a child process, so the
 * benchmark's client measures Herald from outside, as an app would, without
 * sharing an event loop with the servers.
 */
export async function startRemoteStack(): Promise<RemoteStack> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SERVER],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let info: z.infer<typeof handshake> | null = null;
  while (!info) {
    const chunk = await lines.read();
    if (chunk.done) throw new Error("The stack process ended before starting");
    buffer += chunk.value;
    for (const line of buffer.split("\n")) {
      const parsed = line.startsWith("{")
        ? handshake.safeParse(JSON.parse(line))
        : null;
      if (parsed?.success) info = parsed.data;
    }
  }
  // Keep draining the Worker's logs so the child never blocks on a full pipe.
  const drained = (async () => {
    while (!(await lines.read()).done) { /* discard */ }
  })();
  const { url, apiKey, qstashUrl } = info;
  return {
    url,
    admin(path, init = {}) {
      const headers = new Headers(init.headers);
      headers.set("authorization", `Bearer ${apiKey}`);
      return fetch(`${url}${path}`, { ...init, headers });
    },
    async qstashCalls() {
      const res = await fetch(`${qstashUrl}/v2/dev/stats`, {
        headers: { authorization: `Bearer ${DEV_QSTASH_TOKEN}` },
      });
      return z.object({ requests: z.number() }).parse(await res.json())
        .requests;
    },
    async close() {
      await child.stdin.close();
      await child.status;
      await drained;
    },
  };
}
