import { z } from "zod";
import { fileURLToPath } from "node:url";
import { DEV_QSTASH_TOKEN } from "@herald/standin-qstash";
import { startChild } from "./child_process.ts";

const script = (name: string) =>
  fileURLToPath(new URL(`./${name}`, import.meta.url));

export interface RemoteStack {
  url: string;
  /** fetch against the Worker with the admin key. */
  admin(path: string, init?: RequestInit): Promise<Response>;
  /** API calls the QStash dev server has answered. */
  qstashCalls(): Promise<number>;
  /** SQL statements the libSQL dev server has run, and the writes among them. */
  libsqlStatements(): Promise<{ statements: number; writes: number }>;
  /** The QStash dev server's URL (its official client, its dev controls). */
  qstashUrl: string;
  /** The libSQL dev server's URL, to seed state straight into it. */
  libsqlUrl: string;
  /** Signs user tokens. */
  jwtSecret: string;
  close(): Promise<void>;
}

/**
 * The local stack laid out as `deno task dev` lays it out: the stand-ins in
 * one process, the Worker's workerd (and the Miniflare host driving it) in
 * another, and the benchmark's client in a third. So the client measures
 * Herald from outside, as an app would, and no two parts share an event loop.
 */
export async function startRemoteStack(): Promise<RemoteStack> {
  const standIns = await startChild(
    script("standins_process.ts"),
    [],
    z.record(z.string(), z.string()),
  );
  const worker = await startChild(
    script("stack_process.ts"),
    [JSON.stringify(standIns.info)],
    z.object({ url: z.string(), apiKey: z.string(), jwtSecret: z.string() }),
  ).catch(async (error) => {
    await standIns.stop();
    throw error;
  });
  const { url, apiKey, jwtSecret } = worker.info;
  const qstashUrl = z.string().parse(standIns.info.QSTASH_URL);
  const libsqlUrl = z.string().parse(standIns.info.LIBSQL_URL);
  return {
    url,
    qstashUrl,
    libsqlUrl,
    jwtSecret,
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
    async libsqlStatements() {
      const res = await fetch(`${libsqlUrl}/dev/stats`);
      return z.object({ statements: z.number(), writes: z.number() })
        .parse(await res.json());
    },
    async close() {
      await worker.stop();
      await standIns.stop();
    },
  };
}
