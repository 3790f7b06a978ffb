/**
 * The faults controls as on the other stand-ins (`/dev/faults`: fail,
 * delay, down) plus `/dev/rate-limit`, seen by web-push as a sender sees a
 * real service in trouble: 503 and 429 with Retry-After, a port that
 * refuses connections, and the dev routes never faulted.
 */
import assert from "node:assert/strict";
import webpush from "web-push";
import {
  answer,
  messages,
  subscribe,
  withPushService,
} from "./push_harness.ts";
import type { PushServiceStandIn } from "../mod.ts";

async function push(standIn: PushServiceStandIn) {
  const vapid = webpush.generateVAPIDKeys();
  const subscription = await subscribe(standIn, vapid.publicKey);
  const details = webpush.generateRequestDetails(subscription, "hi", {
    vapidDetails: { subject: "mailto:ops@herald.example", ...vapid },
    TTL: 60,
  });
  const send = () =>
    fetch(details.endpoint, {
      method: "POST",
      headers: Object.fromEntries(
        Object.entries(details.headers).map(([k, v]) => [k, String(v)]),
      ),
      body: details.body as Uint8Array<ArrayBuffer>,
    });
  return { subscription, send };
}

async function control(
  standIn: PushServiceStandIn,
  path: string,
  method: string,
  body?: object,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${standIn.url}${path}`, {
    method,
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  assert.equal(response.status, 200, path);
  return await response.json();
}

Deno.test("POST /dev/faults {fail: 1} answers pushes 503 with Retry-After and accepts nothing; DELETE undoes it", async () => {
  await withPushService(async (standIn) => {
    const { subscription, send } = await push(standIn);
    assert.equal(
      (await control(standIn, "/dev/faults", "POST", { fail: 1 })).fail,
      1,
    );
    const failed = await answer(await send());
    assert.deepEqual([failed.status, failed.retryAfter], [503, "1"]);
    assert.deepEqual(await messages(standIn, subscription.endpoint), []);
    await control(standIn, "/dev/faults", "DELETE");
    const ok = await send();
    assert.equal(ok.status, 201);
    await ok.body?.cancel();
  });
});

Deno.test("POST /dev/rate-limit answers pushes 429 with the Retry-After asked for", async () => {
  await withPushService(async (standIn) => {
    const { send } = await push(standIn);
    assert.deepEqual(
      await control(standIn, "/dev/rate-limit", "POST", {
        share: 1,
        retryAfter: 30,
      }),
      { share: 1, retryAfter: 30 },
    );
    const limited = await answer(await send());
    assert.deepEqual([limited.status, limited.retryAfter], [429, "30"]);
    await control(standIn, "/dev/rate-limit", "DELETE");
    const ok = await send();
    assert.equal(ok.status, 201);
    await ok.body?.cancel();
    const refused = await fetch(`${standIn.url}/dev/rate-limit`, {
      method: "POST",
      body: JSON.stringify({ share: 2 }),
    });
    assert.equal((await answer(refused)).status, 400);
  });
});

Deno.test("the in-process faults.down() refuses connections on the port and up() brings the subscriptions back", async () => {
  await withPushService(async (standIn) => {
    const { subscription, send } = await push(standIn);
    await standIn.faults.down();
    await assert.rejects(send());
    await standIn.faults.up();
    const ok = await send();
    assert.equal(ok.status, 201);
    await ok.body?.cancel();
    assert.equal((await messages(standIn, subscription.endpoint)).length, 1);
  });
});

Deno.test("POST /dev/faults {delay} holds each push that long", async () => {
  await withPushService(async (standIn) => {
    const { send } = await push(standIn);
    standIn.faults.set({ delay: 300 });
    const started = performance.now();
    const response = await send();
    assert.equal(response.status, 201);
    await response.body?.cancel();
    assert.ok(performance.now() - started >= 300);
  });
});
