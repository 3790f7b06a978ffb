import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { DEV_QSTASH_TOKEN } from "@herald/standin-qstash";
import { eventually } from "@herald/testing";
import { preferencesView, read, writeResult } from "../support/bodies.ts";

/**
 * `deno task dev` itself, beside any stack a developer runs (free ports,
 * its own state): it serves the Worker, fires the cron trigger after a
 * jump of the QStash dev clock, and Ctrl-C (SIGINT) stops every part.
 */
const DEV = fileURLToPath(new URL("../../dev/dev.ts", import.meta.url));
const devStack = z.object({
  devStack: z.object({
    url: z.string(),
    apiKey: z.string(),
    qstashUrl: z.string(),
    libsqlUrl: z.string(),
  }),
});

async function firstMatchingLine<T>(
  stream: ReadableStream<Uint8Array<ArrayBuffer>>,
  schema: z.ZodType<T>,
): Promise<{ value: T; rest: Promise<void> }> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) throw new Error("deno task dev ended before it was up");
    buffer += chunk.value;
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.startsWith('{"devStack"')) continue;
      const value = schema.parse(JSON.parse(line));
      // The rest (the Worker's logs) is drained so the child never blocks.
      const rest = (async () => {
        while (!(await reader.read()).done) { /* discard */ }
      })();
      return { value, rest };
    }
  }
}

const refused = async (url: string) => {
  try {
    const res = await fetch(url);
    await res.body?.cancel();
    return false;
  } catch {
    return true;
  }
};

Deno.test("deno task dev serves the Worker, runs its cron after a QStash clock jump, and stops on SIGINT", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herald-dev-" });
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
    stderr: "null",
  }).spawn();
  let output: Promise<void> = Promise.resolve();
  try {
    const started = await firstMatchingLine(child.stdout, devStack);
    output = started.rest;
    const stack = started.value.devStack;
    const admin = (path: string, init: RequestInit = {}) =>
      fetch(`${stack.url}${path}`, {
        ...init,
        headers: {
          authorization: `Bearer ${stack.apiKey}`,
          "content-type": "application/json",
        },
      });
    const faults = (method: string, body?: unknown) =>
      fetch(`${stack.qstashUrl}/v2/dev/faults`, {
        method,
        headers: { authorization: `Bearer ${DEV_QSTASH_TOKEN}` },
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then((res) => res.body?.cancel());

    // A write while QStash fails stays pending; only the cron retries it.
    await faults("POST", { fail: 1 });
    const saved = await read(
      await admin("/v1/users/dev-cron/preferences", {
        method: "PUT",
        body: JSON.stringify({
          enabled: true,
          timezone: "UTC",
          types: { taskReminder: { enabled: true, times: ["10:00"] } },
        }),
      }),
      writeResult,
    );
    assert.equal(saved.reconcile.status, "pending");
    await faults("DELETE");
    const advanced = await fetch(`${stack.qstashUrl}/v2/dev/clock`, {
      method: "POST",
      headers: { authorization: `Bearer ${DEV_QSTASH_TOKEN}` },
      body: JSON.stringify({ advance: 5_100 }),
    });
    assert.equal(advanced.status, 200);
    await advanced.body?.cancel();
    await eventually("the cron trigger to sync the write", async () => {
      const view = await read(
        await admin("/v1/users/dev-cron/preferences"),
        preferencesView,
      );
      return view.sync.status === "synced" ? view : null;
    });

    child.kill("SIGINT");
    assert.equal((await child.status).code, 0);
    for (const url of [stack.url, stack.qstashUrl, stack.libsqlUrl]) {
      assert.ok(await refused(url), `${url} still answers`);
    }
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await child.status;
    await output;
    await Deno.remove(dir, { recursive: true });
  }
});
