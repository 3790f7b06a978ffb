/**
 * The receiving side driven by an independent sender: `web-push@3.6.7`
 * (npm; its encryption and VAPID run under Deno's Node compatibility). Its
 * sendNotification() speaks https only, so these tests build the request
 * with its generateRequestDetails() and send that with fetch; the https
 * path itself is in web_push_tls_test.ts.
 */
import assert from "node:assert/strict";
import webpush from "web-push";
import { decodeBase64url } from "../base64url.ts";
import {
  answer,
  messages,
  subscribe,
  withPushService,
} from "./push_harness.ts";
import type { PushSubscriptionJson } from "../push_registry.ts";

const SUBJECT = "mailto:ops@herald.example";

interface Sent {
  vapid?: { publicKey: string; privateKey: string };
  ttl?: number;
  urgency?: "very-low" | "low" | "normal" | "high";
  topic?: string;
  contentEncoding?: "aes128gcm" | "aesgcm";
  /** Replaces web-push's Authorization header. */
  authorization?: string;
  /** Encrypts for these keys instead of the subscription's. */
  keys?: PushSubscriptionJson["keys"];
}

async function send(
  subscription: PushSubscriptionJson,
  vapid: { publicKey: string; privateKey: string },
  payload: string,
  opts: Sent = {},
): Promise<Response> {
  const details = webpush.generateRequestDetails(
    { ...subscription, keys: opts.keys ?? subscription.keys },
    payload,
    {
      vapidDetails: { subject: SUBJECT, ...(opts.vapid ?? vapid) },
      TTL: opts.ttl ?? 60,
      ...(opts.urgency ? { urgency: opts.urgency } : {}),
      ...(opts.topic ? { topic: opts.topic } : {}),
      contentEncoding: opts.contentEncoding ?? "aes128gcm",
    },
  );
  const headers = new Headers();
  for (const [name, value] of Object.entries(details.headers)) {
    headers.set(name, String(value));
  }
  if (opts.authorization) headers.set("authorization", opts.authorization);
  return await fetch(details.endpoint, {
    method: details.method,
    headers,
    body: details.body as Uint8Array<ArrayBuffer>,
  });
}

Deno.test("POST /subscribe answers a PushSubscription as a browser gets it", async () => {
  await withPushService(async (standIn) => {
    const vapid = webpush.generateVAPIDKeys();
    const subscription = await subscribe(standIn, vapid.publicKey);
    assert.match(
      subscription.endpoint,
      new RegExp(`^${standIn.url}/push/[A-Za-z0-9_-]{22}$`),
    );
    assert.equal(subscription.expirationTime, null);
    const p256dh = decodeBase64url(subscription.keys.p256dh)!;
    assert.equal(p256dh.length, 65);
    assert.equal(p256dh[0], 4);
    await crypto.subtle.importKey(
      "raw",
      p256dh,
      { name: "ECDH", namedCurve: "P-256" },
      false,
      [],
    );
    assert.equal(decodeBase64url(subscription.keys.auth)!.length, 16);
    const second = await subscribe(standIn, vapid.publicKey);
    assert.notEqual(second.endpoint, subscription.endpoint);
    assert.notEqual(second.keys.p256dh, subscription.keys.p256dh);
  });
});

Deno.test("POST /subscribe refuses a key that is not a P-256 point", async () => {
  await withPushService(async (standIn) => {
    for (
      const applicationServerKey of [
        "not base64url!",
        "BAAA",
        // 65 bytes with the 0x04 prefix, but not on the curve.
        `BA${"A".repeat(85)}`,
      ]
    ) {
      const response = await fetch(`${standIn.url}/subscribe`, {
        method: "POST",
        body: JSON.stringify({ applicationServerKey }),
      });
      assert.equal((await answer(response)).status, 400, applicationServerKey);
    }
  });
});

Deno.test("a push from web-push is accepted (201 with a Location) and read back decrypted with its claims", async () => {
  await withPushService(async (standIn) => {
    const vapid = webpush.generateVAPIDKeys();
    const subscription = await subscribe(standIn, vapid.publicKey);
    const payload = JSON.stringify({
      title: "Morning digest",
      body: "☕ 3 new",
    });
    const response = await send(subscription, vapid, payload, {
      ttl: 3600,
      urgency: "high",
      topic: "digest-42",
    });
    assert.equal(response.status, 201, await response.clone().text());
    const location = response.headers.get("location")!;
    assert.match(location, new RegExp(`^${standIn.url}/messages/`));
    await response.body?.cancel();
    const [message, ...others] = await messages(standIn, subscription.endpoint);
    assert.deepEqual(others, []);
    assert.equal(message!.payload, payload);
    assert.equal(message!.ttl, 3600);
    assert.equal(message!.urgency, "high");
    assert.equal(message!.topic, "digest-42");
    assert.equal(message!.replaced, false);
    assert.equal(message!.claims.aud, standIn.url);
    assert.equal(message!.claims.sub, SUBJECT);
    const hoursAhead = (message!.claims.exp * 1000 - Date.now()) / 3_600_000;
    assert.ok(hoursAhead > 0 && hoursAhead <= 24, `exp ${hoursAhead} h ahead`);
    const byLocation = await fetch(location);
    assert.deepEqual(await byLocation.json(), message);
  });
});

Deno.test("pushes arrive in order, per endpoint and all together; DELETE /messages clears them, /dev/stats still counts them", async () => {
  await withPushService(async (standIn) => {
    const vapid = webpush.generateVAPIDKeys();
    const a = await subscribe(standIn, vapid.publicKey);
    const b = await subscribe(standIn, vapid.publicKey);
    for (
      const [subscription, text] of [[a, "a1"], [b, "b1"], [a, "a2"]] as const
    ) {
      const response = await send(subscription, vapid, text);
      assert.equal(response.status, 201);
      await response.body?.cancel();
    }
    assert.deepEqual(
      (await messages(standIn, a.endpoint)).map((m) => m.payload),
      ["a1", "a2"],
    );
    assert.deepEqual(
      (await messages(standIn)).map((m) => m.payload),
      ["a1", "b1", "a2"],
    );
    const cleared = await fetch(`${standIn.url}/messages`, {
      method: "DELETE",
    });
    assert.equal(cleared.status, 200);
    await cleared.body?.cancel();
    assert.deepEqual(await messages(standIn), []);
    // What arrived is still counted once the messages are cleared.
    const stats = await fetch(`${standIn.url}/dev/stats`);
    assert.deepEqual(await stats.json(), { subscriptions: 2, accepted: 3 });
  });
});

Deno.test("a newer push with the same Topic marks the undelivered older one replaced", async () => {
  await withPushService(async (standIn) => {
    const vapid = webpush.generateVAPIDKeys();
    const subscription = await subscribe(standIn, vapid.publicKey);
    for (
      const [text, topic] of [["old", "item-7"], ["other", "item-8"], [
        "new",
        "item-7",
      ]]
    ) {
      const response = await send(subscription, vapid, text!, { topic });
      assert.equal(response.status, 201);
      await response.body?.cancel();
    }
    assert.deepEqual(
      (await messages(standIn, subscription.endpoint)).map((
        m,
      ) => [m.payload, m.replaced]),
      [["old", true], ["other", false], ["new", false]],
    );
  });
});

Deno.test("a push signed with another VAPID key is a 403", async () => {
  await withPushService(async (standIn) => {
    const vapid = webpush.generateVAPIDKeys();
    const subscription = await subscribe(standIn, vapid.publicKey);
    const response = await send(subscription, vapid, "hi", {
      vapid: webpush.generateVAPIDKeys(),
    });
    assert.deepEqual(
      (await answer(response)).status,
      403,
    );
    assert.deepEqual(await messages(standIn, subscription.endpoint), []);
  });
});

Deno.test("a push whose JWT names another audience, or has expired, is a 403", async () => {
  await withPushService(async (standIn) => {
    const vapid = webpush.generateVAPIDKeys();
    const subscription = await subscribe(standIn, vapid.publicKey);
    const elsewhere = webpush.getVapidHeaders(
      "https://fcm.googleapis.com",
      SUBJECT,
      vapid.publicKey,
      vapid.privateKey,
      "aes128gcm",
    );
    const wrongAud = await answer(
      await send(subscription, vapid, "hi", {
        authorization: elsewhere.Authorization,
      }),
    );
    assert.equal(wrongAud.status, 403);
    assert.match(wrongAud.message, /aud/);
    const expired = webpush.getVapidHeaders(
      standIn.url,
      SUBJECT,
      vapid.publicKey,
      vapid.privateKey,
      "aes128gcm",
      Math.floor(Date.now() / 1000) - 60,
    );
    const late = await answer(
      await send(subscription, vapid, "hi", {
        authorization: expired.Authorization,
      }),
    );
    assert.equal(late.status, 403);
    assert.match(late.message, /expired/);
    assert.deepEqual(await messages(standIn, subscription.endpoint), []);
  });
});

Deno.test("a push with no Authorization, or another scheme, is a 401", async () => {
  await withPushService(async (standIn) => {
    const vapid = webpush.generateVAPIDKeys();
    const subscription = await subscribe(standIn, vapid.publicKey);
    const none = await fetch(subscription.endpoint, {
      method: "POST",
      headers: { "content-encoding": "aes128gcm", ttl: "60" },
      body: new Uint8Array(100),
    });
    assert.equal((await answer(none)).status, 401);
    const bearer = await send(subscription, vapid, "hi", {
      authorization: "Bearer abc",
    });
    assert.equal((await answer(bearer)).status, 401);
  });
});

Deno.test("a push to an expired endpoint is a 410, to an unknown one a 404", async () => {
  await withPushService(async (standIn) => {
    const vapid = webpush.generateVAPIDKeys();
    const subscription = await subscribe(standIn, vapid.publicKey);
    const expire = await fetch(`${standIn.url}/expire`, {
      method: "POST",
      body: JSON.stringify({ endpoint: subscription.endpoint }),
    });
    assert.equal(expire.status, 200);
    await expire.body?.cancel();
    assert.equal(
      (await answer(await send(subscription, vapid, "hi"))).status,
      410,
    );
    const unknown = { ...subscription, endpoint: `${standIn.url}/push/nobody` };
    assert.equal((await answer(await send(unknown, vapid, "hi"))).status, 404);
    const expireUnknown = await fetch(`${standIn.url}/expire`, {
      method: "POST",
      body: JSON.stringify({ endpoint: unknown.endpoint }),
    });
    assert.equal((await answer(expireUnknown)).status, 404);
  });
});

Deno.test("a body over 4,096 bytes is a 413; 3,993 bytes of plaintext fit", async () => {
  await withPushService(async (standIn) => {
    const vapid = webpush.generateVAPIDKeys();
    const subscription = await subscribe(standIn, vapid.publicKey);
    const fits = await send(subscription, vapid, "x".repeat(3993));
    assert.equal(fits.status, 201);
    await fits.body?.cancel();
    assert.equal(
      (await answer(await send(subscription, vapid, "x".repeat(3994)))).status,
      413,
    );
    assert.deepEqual(
      (await messages(standIn, subscription.endpoint)).map((m) => m.size),
      [3993],
    );
  });
});

Deno.test("a body that does not decrypt with the subscription's keys is a 400", async () => {
  await withPushService(async (standIn) => {
    const vapid = webpush.generateVAPIDKeys();
    const subscription = await subscribe(standIn, vapid.publicKey);
    const other = await subscribe(standIn, vapid.publicKey);
    const response = await send(subscription, vapid, "hi", {
      keys: other.keys,
    });
    const refused = await answer(response);
    assert.equal(refused.status, 400);
    assert.match(refused.message, /does not decrypt/);
  });
});

Deno.test("the pre-standard aesgcm coding and a push without TTL are 400s", async () => {
  await withPushService(async (standIn) => {
    const vapid = webpush.generateVAPIDKeys();
    const subscription = await subscribe(standIn, vapid.publicKey);
    const aesgcm = await answer(
      await send(subscription, vapid, "hi", { contentEncoding: "aesgcm" }),
    );
    assert.equal(aesgcm.status, 400);
    assert.match(aesgcm.message, /aes128gcm/);
    const details = webpush.generateRequestDetails(subscription, "hi", {
      vapidDetails: { subject: SUBJECT, ...vapid },
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(details.headers)) {
      if (name.toLowerCase() !== "ttl") headers.set(name, String(value));
    }
    const noTtl = await fetch(details.endpoint, {
      method: "POST",
      headers,
      body: details.body as Uint8Array<ArrayBuffer>,
    });
    assert.equal((await answer(noTtl)).status, 400);
    for (
      const [header, value] of [["urgency", "urgent"], ["topic", "has space"]]
    ) {
      const bad = await fetch(details.endpoint, {
        method: "POST",
        headers: {
          ...Object.fromEntries(headers),
          ttl: "60",
          [header!]: value!,
        },
        body: details.body as Uint8Array<ArrayBuffer>,
      });
      assert.equal((await answer(bad)).status, 400, header);
    }
    assert.deepEqual(await messages(standIn, subscription.endpoint), []);
  });
});
