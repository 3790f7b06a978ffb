import assert from "node:assert/strict";
import { vapidKeyPair } from "@herald/dev";
import { encodeBase64UrlBytes } from "../../src/domain/codecs/base64url.ts";
import {
  endpointProblem,
  subscriptionPutSchema,
} from "../../src/domain/push/subscription.ts";

const auth = encodeBase64UrlBytes(new Uint8Array(16).fill(7));
const p256dh = (await vapidKeyPair()).VAPID_PUBLIC_KEY;
const valid = {
  endpoint: "https://push.example/wpush/abc",
  expirationTime: null,
  keys: { p256dh, auth },
};

Deno.test("subscriptionPutSchema takes what PushSubscription.toJSON() gives, with oldEndpoint and label", () => {
  assert.ok(subscriptionPutSchema.safeParse(valid).success);
  const parsed = subscriptionPutSchema.parse({
    ...valid,
    oldEndpoint: "https://push.example/wpush/old",
    label: "  Work laptop ",
  });
  assert.equal(parsed.label, "Work laptop");
  assert.equal(
    subscriptionPutSchema.parse({ endpoint: valid.endpoint, keys: valid.keys })
      .expirationTime,
    null,
  );
});

Deno.test("subscriptionPutSchema refuses keys that are not a P-256 point and a 16-byte secret", () => {
  const bad = [
    { ...valid, keys: { p256dh: p256dh.slice(0, -2) + "AA", auth } },
    { ...valid, keys: { p256dh: "not base64url!", auth } },
    {
      ...valid,
      keys: { p256dh, auth: encodeBase64UrlBytes(new Uint8Array(15)) },
    },
    { ...valid, keys: { p256dh } },
    { ...valid, endpoint: "not a url" },
    { ...valid, extra: true },
  ];
  for (const body of bad) {
    assert.equal(subscriptionPutSchema.safeParse(body).success, false);
  }
});

Deno.test("endpointProblem() wants https, except on the local stack's push stand-in", () => {
  assert.equal(endpointProblem("https://push.example/x", null), null);
  assert.match(
    endpointProblem("http://push.example/x", null) ?? "",
    /https/,
  );
  assert.equal(
    endpointProblem("http://127.0.0.1:8077/push/1", "http://127.0.0.1:8077"),
    null,
  );
  assert.match(
    endpointProblem("http://127.0.0.1:9999/push/1", "http://127.0.0.1:8077") ??
      "",
    /https/,
  );
});
