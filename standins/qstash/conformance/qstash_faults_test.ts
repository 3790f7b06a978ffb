import { QstashError } from "@upstash/qstash";
import assert from "node:assert/strict";
import { z } from "zod";
import { DEV_QSTASH_TOKEN } from "../credentials.ts";
import { eventually } from "@herald/testing";
import { withStack } from "./qstash_harness.ts";

/**
 * The QStash dev server's injected faults, seen through the official
 * @upstash/qstash Client: failed calls are QStash's own 500, a slow server
 * answers late, and an outage refuses connections on the port it keeps,
 * delivers nothing, and ends with every schedule and message still there.
 */
const status = z.object({
  fail: z.number(),
  delay: z.number(),
  down: z.boolean(),
  downUntil: z.number().nullable(),
});

function controls(baseUrl: string, method: string, body?: unknown) {
  return fetch(`${baseUrl}/v2/dev/faults`, {
    method,
    headers: { authorization: `Bearer ${DEV_QSTASH_TOKEN}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const isServerError = (error: unknown) =>
  error instanceof QstashError && error.status === 500;

Deno.test("a server failing every call answers the client with QStash's 500 until cleared", async () => {
  await withStack(async ({ server, client }) => {
    server.faults.set({ fail: 1 });
    await assert.rejects(client.schedules.list(), isServerError);
    await assert.rejects(
      client.publish({ url: "http://127.0.0.1:9/x", body: "x" }),
      isServerError,
    );
    await server.faults.clear();
    assert.deepEqual(await client.schedules.list(), []);
  });
});

Deno.test("a server failing a share of calls fails about that share, and applies none of them", async () => {
  await withStack(async ({ server, client, destination }) => {
    server.faults.set({ fail: 0.5 });
    let failed = 0;
    for (let i = 0; i < 200; i++) {
      await client.schedules.create({
        scheduleId: `s-${i}`,
        destination: destination.url(),
        cron: "0 0 1 1 *",
      }).catch((error) => {
        assert.ok(isServerError(error), String(error));
        failed++;
      });
    }
    // Binomial(200, 0.5): outside 60–140 has a chance below 1e-8.
    assert.ok(failed > 60 && failed < 140, `${failed} of 200 failed`);
    await server.faults.clear();
    assert.equal((await client.schedules.list()).length, 200 - failed);
  });
});

Deno.test("a slow server answers each call no sooner than its delay", async () => {
  await withStack(async ({ server, client }) => {
    server.faults.set({ delay: 150 });
    const started = performance.now();
    await client.schedules.list();
    assert.ok(performance.now() - started >= 150);
    server.faults.set({ delay: 0 });
  });
});

Deno.test("a server that is down keeps its port, delivers nothing, and comes back with its state", async () => {
  let faults: { down(): Promise<void> } | undefined;
  await withStack(async ({ server, client, destination }) => {
    faults = server.faults;
    await client.schedules.create({
      scheduleId: "kept",
      destination: destination.url("/s"),
      cron: "0 9 * * *",
    });
    const held = new Promise((resolve) =>
      server.events.addEventListener("delivery-held", resolve, { once: true })
    );
    await client.publish({
      url: destination.url("/m"),
      body: "m",
      retries: 1,
      retryDelay: "0",
    });
    // The first attempt fails and takes the server down with it; its retry
    // falls due at once, while the server is down.
    await destination.waitFor(1);
    await held;
    assert.equal(destination.deliveries.length, 1);
    await assert.rejects(client.schedules.list(), TypeError);
    assert.throws(
      () => Deno.listen({ hostname: "127.0.0.1", port: server.port }),
      Deno.errors.AddrInUse,
    );
    assert.equal(server.faults.status().down, true);

    await server.faults.up();
    const [, retry] = await destination.waitFor(2);
    assert.equal(retry?.headers.get("upstash-retried"), "1");
    assert.deepEqual(
      (await client.schedules.list()).map((s) => s.scheduleId),
      ["kept"],
    );
  }, {
    reply: async (_, index) => {
      if (index > 0) return new Response("ok");
      await faults?.down();
      return new Response("", { status: 500 });
    },
  });
});

Deno.test("the faults answer over HTTP behind the token, and a timed outage ends by itself", async () => {
  await withStack(async ({ server, client }) => {
    const refused = await fetch(`${server.url}/v2/dev/faults`);
    assert.equal(refused.status, 401);
    await refused.body?.cancel();
    const bad = await controls(server.url, "POST", { fail: 2 });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();

    const set = await controls(server.url, "POST", { fail: 1, delay: 5 });
    assert.deepEqual(status.parse(await set.json()), {
      fail: 1,
      delay: 5,
      down: false,
      downUntil: null,
    });
    await assert.rejects(client.schedules.list(), isServerError);
    const cleared = await controls(server.url, "DELETE");
    assert.equal(status.parse(await cleared.json()).fail, 0);

    const down = status.parse(
      await (await controls(server.url, "POST", { down: 300 })).json(),
    );
    assert.equal(down.down, true);
    assert.ok(down.downUntil !== null);
    await eventually("QStash to be down", async () => {
      try {
        await client.schedules.list();
        return null;
      } catch (error) {
        return error instanceof TypeError ? true : null;
      }
    });
    await eventually("QStash to come back by itself", async () => {
      try {
        return await client.schedules.list();
      } catch {
        return null;
      }
    });
    assert.equal(server.faults.status().down, false);
  });
});
