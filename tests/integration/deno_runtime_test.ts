import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sign } from "hono/jwt";
import { z } from "zod";
import { applyMigrations } from "../../scripts/migrate.ts";
import { startScratchStandIns } from "../support/scratch_stand_ins.ts";
import { DEV_QSTASH_TOKEN } from "@herald/standin-qstash";
import { statusBody } from "../support/scheduler_bodies.ts";
import {
  AddressInUse,
  DEMO_SEED,
  randomSecret,
  startOnOfferedPort,
} from "@herald/dev";
import { SseStream } from "../support/sse.ts";
import { WsReader } from "../support/ws_reader.ts";
import { healthBody, read, writeResult } from "../support/bodies.ts";

const ENTRY = fileURLToPath(new URL("../../src/deno.ts", import.meta.url));

/**
 * The same app on Deno (`src/deno.ts`): libSQL as a local `file:` database,
 * channels in-process. Started as its own process, as it would be deployed.
 */
Deno.test("Herald runs on Deno with a file: database and in-process channels, by SSE and WebSocket", async () => {
  const standIns = await startScratchStandIns();
  const dbUrl = `file:${join(standIns.dir, "deno-runtime.db")}`;
  await applyMigrations(dbUrl, { seed: DEMO_SEED });
  const apiKey = randomSecret(24);
  const jwtSecret = randomSecret(32);
  const entry = await startOnOfferedPort((port) =>
    startDenoEntry(port, {
      ...standIns.env,
      LIBSQL_URL: dbUrl,
      API_KEY: apiKey,
      JWT_SECRET: jwtSecret,
      DEV_CLOCK: "qstash",
    })
  ).catch(async (error) => {
    await standIns.close();
    throw error;
  });
  const { url } = entry;
  let stream: SseStream | null = null;
  let socket: WsReader | null = null;
  try {
    const health = await read(await fetch(`${url}/health`), healthBody);
    assert.equal(health.status, "ok");
    // The docs page's script, which Workers serve as a static asset.
    const script = await fetch(`${url}/docs/scalar.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get("content-type") ?? "", /javascript/);
    await script.body?.cancel();

    const user = "deno-ada";
    const put = await fetch(`${url}/v1/users/${user}/preferences`, {
      method: "PUT",
      headers: {
        authorization: `Bearer ${apiKey}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({
        enabled: true,
        timezone: "UTC",
        types: { taskReminder: { enabled: true, times: ["08:00"] } },
      }),
    });
    assert.equal(put.status, 200);
    assert.equal((await read(put, writeResult)).reconcile.status, "synced");

    const token = await sign({ sub: user }, jwtSecret, "HS256");
    stream = await SseStream.open(`${url}/v1/stream`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal((await stream.next()).event, "connected");
    // A WebSocket on the same URL, with a stream token, as a browser opens it.
    const issued = await fetch(`${url}/v1/stream/token`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    const { token: streamToken } = z.object({ token: z.string() }).parse(
      await issued.json(),
    );
    socket = await WsReader.open(
      `${url.replace("http", "ws")}/v1/stream?token=${streamToken}`,
    );
    assert.equal((await socket.nextEvent())?.event, "connected");
    // QStash fires the user's slot at its next run, at the Deno server's
    // callback (the dev clock is the Deno server's clock too).
    const status = await fetch(`${url}/v1/scheduler/status?userId=${user}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    const [job] = statusBody.parse(await status.json()).jobs;
    assert.ok(job?.nextRun);
    const advanced = await fetch(`${standIns.qstashUrl}/v2/dev/clock`, {
      method: "POST",
      headers: { authorization: `Bearer ${DEV_QSTASH_TOKEN}` },
      body: JSON.stringify({ set: Date.parse(job.nextRun) }),
    });
    assert.equal(advanced.status, 200);
    await advanced.body?.cancel();
    const got = (await stream.until("notification")).at(-1)!;
    assert.equal(JSON.parse(got.data).title, "Tasks waiting for you");
    const viaSocket = await socket.nextEvent();
    assert.equal(viaSocket?.event, "notification");
    assert.equal(viaSocket?.id, got.id, "the same id on both transports");
    assert.equal(viaSocket?.data, got.data);
  } finally {
    await stream?.close();
    await socket?.close();
    entry.process.kill("SIGTERM");
    const status = await entry.process.status;
    const stderr = await entry.stderr;
    await standIns.close();
    assert.equal(status.code, 0, `src/deno.ts exited badly: ${stderr}`);
  }
});

interface DenoEntry {
  process: Deno.ChildProcess;
  url: string;
  /** Everything the process wrote to stderr, once it has exited. */
  stderr: Promise<string>;
}

/**
 * Starts `src/deno.ts` on `port` and resolves once it says it is listening
 * (Deno.serve's own line, on stderr). A process that exits first failed; one
 * that could not bind its port throws `AddressInUse`.
 */
async function startDenoEntry(
  port: number,
  env: Record<string, string>,
): Promise<DenoEntry> {
  const url = `http://127.0.0.1:${port}`;
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ENTRY],
    env: { ...env, PUBLIC_URL: url, PORT: String(port) },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const listening = Promise.withResolvers<boolean>();
  const stderr = (async () => {
    let text = "";
    for await (
      const chunk of process.stderr.pipeThrough(new TextDecoderStream())
    ) {
      text += chunk;
      if (text.includes("Listening on")) listening.resolve(true);
    }
    listening.resolve(false);
    return text;
  })();
  if (!await listening.promise) {
    await process.status;
    const text = await stderr;
    if (/AddrInUse|address already in use/i.test(text)) {
      throw new AddressInUse(text);
    }
    throw new Error(`src/deno.ts did not start: ${text}`);
  }
  return { process, url, stderr };
}
