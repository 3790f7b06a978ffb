import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sign } from "hono/jwt";
import { z } from "zod";
import { randomSecret } from "../../src/dev/dev_vars.ts";
import { applyMigrations } from "../../src/dev/migrate.ts";
import { startScratchStandIns } from "../support/scratch_stand_ins.ts";
import { scheduleIdFor } from "../../src/domain/schedule_plan.ts";
import { freePort } from "../support/free_port.ts";
import { fireSchedule } from "../support/qstash.ts";
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
  await applyMigrations(dbUrl);
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const apiKey = randomSecret(24);
  const jwtSecret = randomSecret(32);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ENTRY],
    env: {
      ...standIns.env,
      LIBSQL_URL: dbUrl,
      API_KEY: apiKey,
      JWT_SECRET: jwtSecret,
      PUBLIC_URL: url,
      PORT: String(port),
    },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let stream: SseStream | null = null;
  let socket: WsReader | null = null;
  try {
    await waitForHealth(`${url}/health`);
    const health = await read(await fetch(`${url}/health`), healthBody);
    assert.equal(health.status, "ok");

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
    // QStash fires the schedule at the Deno server's callback.
    const fired = await fireSchedule(
      { standIns },
      scheduleIdFor(user, "taskReminder", "08:00"),
    );
    assert.equal(fired.status, 200);
    const got = (await stream.until("notification")).at(-1)!;
    assert.equal(JSON.parse(got.data).title, "Tasks waiting for you");
    const viaSocket = await socket.nextEvent();
    assert.equal(viaSocket?.event, "notification");
    assert.equal(viaSocket?.id, got.id, "the same id on both transports");
    assert.equal(viaSocket?.data, got.data);
  } finally {
    await stream?.close();
    await socket?.close();
    child.kill("SIGTERM");
    const status = await child.status;
    const stderr = new TextDecoder().decode(
      await new Response(child.stderr).arrayBuffer(),
    );
    await standIns.close();
    assert.equal(status.code, 0, `src/deno.ts exited badly: ${stderr}`);
  }
});

async function waitForHealth(url: string) {
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(url);
      await res.body?.cancel();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error("src/deno.ts did not start");
}
