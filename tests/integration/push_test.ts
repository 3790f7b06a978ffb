import assert from "node:assert/strict";
import { z } from "zod";
import { errorBody } from "../support/bodies.ts";
import { integrationSuite } from "../support/suite.ts";

const suite = integrationSuite("web push");
const { test } = suite;

const browserSubscription = z.object({
  endpoint: z.string(),
  expirationTime: z.number().nullable(),
  keys: z.object({ p256dh: z.string(), auth: z.string() }),
});
type BrowserSubscription = z.infer<typeof browserSubscription>;

const subscriptionView = z.strictObject({
  endpointOrigin: z.string(),
  label: z.string().nullable(),
  expirationTime: z.string().nullable(),
  createdAt: z.string(),
  lastSeenAt: z.string(),
});

/** What a browser's pushManager.subscribe() would give, from the stand-in. */
async function subscribe(): Promise<BrowserSubscription> {
  const { stack } = suite;
  const res = await fetch(`${stack.standIns.pushUrl}/subscribe`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ applicationServerKey: stack.vapidPublicKey }),
  });
  assert.equal(res.status, 201);
  return browserSubscription.parse(await res.json());
}

async function asUser(
  userId: string,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  const { stack } = suite;
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${await stack.userToken(userId)}`);
  if (init.body) headers.set("content-type", "application/json");
  return await fetch(`${stack.url}${path}`, { ...init, headers });
}

function putSubscription(userId: string, body: unknown, as = userId) {
  return asUser(as, `/v1/users/${userId}/push-subscriptions`, {
    method: "PUT",
    body: JSON.stringify(body),
  });
}

async function listed(userId: string) {
  const res = await asUser(userId, `/v1/users/${userId}/push-subscriptions`);
  assert.equal(res.status, 200);
  return z.object({ items: z.array(subscriptionView) }).parse(await res.json())
    .items;
}

test("GET /v1/push/vapid-key answers the configured public key without auth, and health says push is on", async () => {
  const { stack } = suite;
  const res = await fetch(`${stack.url}/v1/push/vapid-key`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { publicKey: stack.vapidPublicKey });
  const health = z.object({ push: z.string() }).parse(
    await (await fetch(`${stack.url}/health`)).json(),
  );
  assert.equal(health.push, "on");
});

test("PUT push-subscriptions saves a device once per endpoint and lists it without keys", async () => {
  const sub = await subscribe();
  const first = await putSubscription("ada", { ...sub, label: "Laptop" });
  assert.equal(first.status, 200);
  const view = subscriptionView.parse(await first.json());
  assert.equal(view.endpointOrigin, new URL(sub.endpoint).origin);
  assert.equal(view.label, "Laptop");
  // A repeat (the next page load) is an update: one row, label kept.
  const again = await putSubscription("ada", sub);
  assert.equal(again.status, 200);
  const text = JSON.stringify(await listed("ada"));
  assert.equal((await listed("ada")).length, 1);
  assert.equal((await listed("ada"))[0]?.label, "Laptop");
  assert.ok(!text.includes(sub.keys.p256dh) && !text.includes(sub.keys.auth));
  assert.ok(!text.includes(sub.endpoint));
});

test("oldEndpoint replaces the rotated subscription, and DELETE removes one", async () => {
  const before = await subscribe();
  const after = await subscribe();
  assert.equal((await putSubscription("bea", before)).status, 200);
  const rotated = await putSubscription("bea", {
    ...after,
    oldEndpoint: before.endpoint,
  });
  assert.equal(rotated.status, 200);
  assert.equal((await listed("bea")).length, 1);
  const path = `/v1/users/bea/push-subscriptions?endpoint=${
    encodeURIComponent(after.endpoint)
  }`;
  assert.equal((await asUser("bea", path, { method: "DELETE" })).status, 204);
  assert.equal((await listed("bea")).length, 0);
  const gone = await asUser("bea", path, { method: "DELETE" });
  assert.equal(gone.status, 404);
  errorBody.parse(await gone.json());
});

test("a 21st subscription replaces the least recently seen", async () => {
  const subs: BrowserSubscription[] = [];
  for (let i = 0; i < 21; i++) {
    const sub = await subscribe();
    subs.push(sub);
    const res = await putSubscription("cy", { ...sub, label: `device ${i}` });
    assert.equal(res.status, 200);
  }
  const labels = (await listed("cy")).map((s) => s.label);
  assert.equal(labels.length, 20);
  assert.ok(!labels.includes("device 0"));
  assert.ok(labels.includes("device 20"));
});

test("bad subscriptions are a 400 and store nothing", async () => {
  const sub = await subscribe();
  const bad = [
    { ...sub, keys: { ...sub.keys, auth: "AAAA" } },
    { ...sub, keys: { ...sub.keys, p256dh: sub.keys.auth } },
    { ...sub, endpoint: "http://push.example/not-https" },
    { ...sub, endpoint: sub.endpoint.replace(/:\d+\//, ":1/") },
    { endpoint: sub.endpoint },
  ];
  for (const body of bad) {
    const res = await putSubscription("dee", body);
    assert.equal(res.status, 400, JSON.stringify(body));
    const error = errorBody.parse(await res.json());
    assert.equal(error.error.code, "validation_failed");
    assert.ok(!JSON.stringify(error).includes(sub.keys.p256dh));
  }
  assert.equal((await listed("dee")).length, 0);
});

test("another user's JWT is a 403; the admin key may manage anyone's", async () => {
  const sub = await subscribe();
  const res = await putSubscription("eve", sub, "mallory");
  assert.equal(res.status, 403);
  const list = await asUser("mallory", "/v1/users/eve/push-subscriptions");
  assert.equal(list.status, 403);
  assert.equal((await listed("eve")).length, 0);
  const admin = await suite.stack.admin("/v1/users/eve/push-subscriptions", {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(sub),
  });
  assert.equal(admin.status, 200);
  assert.equal((await listed("eve")).length, 1);
});

suite.run();
