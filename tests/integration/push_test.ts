import assert from "node:assert/strict";
import { z } from "zod";
import { eventually } from "@herald/testing";
import { errorBody } from "../support/bodies.ts";
import { DEV_QSTASH_TOKEN } from "@herald/standin-qstash";
import { advanceToNextRun } from "../support/placement.ts";
import { advanceClock, qstashDrained } from "../support/qstash.ts";
import {
  type BrowserSubscription,
  expireAtStandIn,
  standInMessages,
  standInSubscription,
} from "../support/push_standin.ts";
import { SseStream } from "../support/sse.ts";
import { integrationSuite } from "../support/suite.ts";

const suite = integrationSuite("web push");
const { test } = suite;

const subscriptionView = z.strictObject({
  endpointOrigin: z.string(),
  label: z.string().nullable(),
  expirationTime: z.string().nullable(),
  createdAt: z.string(),
  lastSeenAt: z.string(),
});

/** What a browser's pushManager.subscribe() would give, from the stand-in. */
function subscribe(): Promise<BrowserSubscription> {
  return standInSubscription(suite.stack);
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

const pushPayload = z.strictObject({
  id: z.string(),
  type: z.string(),
  title: z.string(),
  body: z.string().optional(),
  severity: z.string(),
  unread: z.number(),
  url: z.string(),
  actionToken: z.string(),
  createdAt: z.string(),
});

/** What the stand-in accepted for one endpoint, decrypted. */
function messagesAt(endpoint: string) {
  return standInMessages(suite.stack, endpoint);
}

/** A user with one device subscribed and saved in Herald. */
async function subscribedUser(userId: string): Promise<BrowserSubscription> {
  const sub = await subscribe();
  assert.equal((await putSubscription(userId, sub)).status, 200);
  return sub;
}

async function send(body: Record<string, unknown>) {
  const res = await suite.stack.admin("/v1/notifications", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ type: "orders.new", title: "Order #1", ...body }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return z.object({ notification: z.object({ id: z.string() }) }).parse(
    await res.json(),
  ).notification.id;
}

async function openStream(
  userId: string,
  roles?: string[],
): Promise<SseStream> {
  const token = await suite.stack.userToken(userId, roles);
  const stream = await SseStream.open(`${suite.stack.url}/v1/stream`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal((await stream.next()).event, "connected");
  return stream;
}

test("an offline user's notification is pushed, encrypted for the device, with valid VAPID claims", async () => {
  const sub = await subscribedUser("fay");
  const id = await send({
    userId: "fay",
    body: "Two items",
    severity: "high",
    push: "offline",
    data: { url: "/orders/1" },
  });
  const [message] = await eventually("the push to arrive", async () => {
    const got = await messagesAt(sub.endpoint);
    return got.length > 0 ? got : null;
  });
  assert.ok(message);
  const payload = pushPayload.parse(JSON.parse(message.payload));
  assert.equal(payload.id, id);
  assert.equal(payload.title, "Order #1");
  assert.equal(payload.body, "Two items");
  assert.equal(payload.severity, "high");
  assert.equal(payload.unread, 1);
  assert.equal(payload.url, "/orders/1");
  assert.equal(message.urgency, "high");
  assert.ok(message.topic && id.endsWith(message.topic));
  assert.equal(message.claims.aud, new URL(sub.endpoint).origin);
  assert.equal(message.claims.sub, "mailto:dev@herald.example");
  const now = Date.now() / 1000;
  assert.ok(message.claims.exp > now && message.claims.exp <= now + 86_400);
});

test("the action token marks that one notification read, and nothing else", async () => {
  const sub = await subscribedUser("gus");
  const id = await send({ userId: "gus", push: "offline" });
  const other = await send({ userId: "gus", title: "Other" });
  const [message] = await eventually("the push to arrive", async () => {
    const got = await messagesAt(sub.endpoint);
    return got.length > 0 ? got : null;
  });
  const { actionToken } = pushPayload.parse(JSON.parse(message!.payload));
  const url = (nid: string, token: string) =>
    `${suite.stack.url}/v1/notifications/${nid}/read?token=${token}`;
  const wrong = await fetch(url(other, actionToken), { method: "POST" });
  assert.equal(wrong.status, 401);
  errorBody.parse(await wrong.json());
  // Not a user's JWT either.
  const asJwt = await fetch(`${suite.stack.url}/v1/users/gus/notifications`, {
    headers: { authorization: `Bearer ${actionToken}` },
  });
  assert.equal(asJwt.status, 401);
  await asJwt.body?.cancel();
  const read = await fetch(url(id, actionToken), { method: "POST" });
  assert.equal(read.status, 200);
  assert.deepEqual(await read.json(), { unread: 1 });
});

test("offline skips a user a live connection reached; always pushes anyway", async () => {
  const sub = await subscribedUser("hal");
  const stream = await openStream("hal");
  try {
    await send({ userId: "hal", title: "Seen live", push: "offline" });
    await stream.until("notification");
    const always = await send({ userId: "hal", title: "Both", push: "always" });
    await stream.until("notification");
    await eventually(
      "the always push",
      async () => (await messagesAt(sub.endpoint)).length > 0 ? true : null,
    );
    await qstashDrained(suite.stack);
    const got = await messagesAt(sub.endpoint);
    assert.deepEqual(
      got.map((m) => pushPayload.parse(JSON.parse(m.payload)).id),
      [always],
    );
  } finally {
    await stream.close();
  }
});

test("no push field is no push, and a catalogue type refuses one", async () => {
  const sub = await subscribedUser("ivy");
  await send({ userId: "ivy", title: "Quiet" });
  const pushed = await send({ userId: "ivy", title: "Loud", push: "always" });
  await eventually(
    "the loud push",
    async () => (await messagesAt(sub.endpoint)).length > 0 ? true : null,
  );
  await qstashDrained(suite.stack);
  assert.deepEqual(
    (await messagesAt(sub.endpoint)).map((m) =>
      pushPayload.parse(JSON.parse(m.payload)).id
    ),
    [pushed],
  );
  const res = await suite.stack.admin("/v1/notifications", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      userId: "ivy",
      type: "morningDigest",
      title: "x",
      push: "always",
    }),
  });
  assert.equal(res.status, 400);
  assert.equal(
    errorBody.parse(await res.json()).error.fields?.[0]?.path,
    "push",
  );
});

test("a 410 from the push service deletes the subscription", async () => {
  const sub = await subscribedUser("jo");
  await expireAtStandIn(suite.stack, sub.endpoint);
  await send({ userId: "jo", push: "offline" });
  await eventually(
    "the subscription to be removed",
    async () => (await listed("jo")).length === 0 ? true : null,
  );
});

/** A counter's total over its labels, from `GET /metrics`. */
async function counter(name: string): Promise<number> {
  const text = await (await suite.stack.admin("/metrics")).text();
  return text.split("\n").filter((l) =>
    l.startsWith(`${name}{`) || l.startsWith(`${name} `)
  )
    .reduce((sum, l) => sum + Number(l.split(" ").at(-1)), 0);
}

test("429 and 5xx answers are retried through QStash until the push lands", async () => {
  const { standIns } = suite.stack;
  const sub = await subscribedUser("kit");
  const retried = await counter("herald_push_retried_total");
  standIns.pushRateLimit.set({ share: 1, retryAfter: 30 });
  try {
    await send({ userId: "kit", title: "Limited", push: "offline" });
    await eventually(
      "the 429 to be queued again",
      async () =>
        await counter("herald_push_retried_total") > retried ? true : null,
    );
  } finally {
    standIns.pushRateLimit.clear();
  }
  assert.equal((await messagesAt(sub.endpoint)).length, 0);
  standIns.faults.push.set({ fail: 1 });
  try {
    // Past the Retry-After: the second attempt meets a 503.
    await advanceClock(suite.stack, 31_000);
    await eventually(
      "the 503 to be queued again",
      async () =>
        await counter("herald_push_retried_total") > retried + 1 ? true : null,
    );
  } finally {
    await standIns.faults.push.clear();
  }
  assert.equal((await messagesAt(sub.endpoint)).length, 0);
  await advanceClock(suite.stack, 11_000);
  const got = await eventually("the retried push", async () => {
    const m = await messagesAt(sub.endpoint);
    return m.length > 0 ? m : null;
  });
  assert.equal(pushPayload.parse(JSON.parse(got[0]!.payload)).title, "Limited");
});

async function adminJson(path: string, method: string, body: unknown) {
  const res = await suite.stack.admin(path, {
    method,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return await res.json();
}

test("a catalogue type's offline policy pushes a fired slot's occurrence; a user's channels.push false does not", async () => {
  await adminJson("/v1/types/taskReminder", "PATCH", {
    channels: { push: "offline" },
  });
  const mo = await subscribedUser("mo");
  const ned = await subscribedUser("ned");
  const types = { taskReminder: { enabled: true, times: ["14:00"] } };
  const saved = z.object({
    preferences: z.object({
      types: z.record(
        z.string(),
        z.object({ channels: z.object({ push: z.boolean() }) }),
      ),
    }),
  });
  const moPrefs = saved.parse(
    await adminJson("/v1/users/mo/preferences", "PUT", {
      enabled: true,
      timezone: "UTC",
      types,
    }),
  );
  assert.equal(moPrefs.preferences.types.taskReminder?.channels.push, true);
  await adminJson("/v1/users/ned/preferences", "PUT", {
    enabled: true,
    timezone: "UTC",
    channels: { push: false },
    types,
  });
  await advanceToNextRun(suite.stack, "mo");
  const [message] = await eventually("mo's push", async () => {
    const got = await messagesAt(mo.endpoint);
    return got.length > 0 ? got : null;
  });
  const payload = pushPayload.parse(JSON.parse(message!.payload));
  assert.equal(payload.type, "taskReminder");
  assert.equal(payload.title, "Tasks waiting for you");
  await qstashDrained(suite.stack);
  assert.equal((await messagesAt(ned.endpoint)).length, 0);
});

test("quiet hours hold the push (not the inbox row) until the window ends", async () => {
  const res = await fetch(`${suite.stack.standIns.qstashUrl}/v2/dev/clock`, {
    headers: { authorization: `Bearer ${DEV_QSTASH_TOKEN}` },
  });
  const { now } = z.object({ now: z.number() }).parse(await res.json());
  const hhmm = (at: number) => new Date(at).toISOString().slice(11, 16);
  const sub = await subscribedUser("pia");
  await adminJson("/v1/users/pia/preferences", "PATCH", {
    quietHours: { start: hhmm(now - 3_600_000), end: hhmm(now + 3_600_000) },
  });
  const queued = await counter("herald_push_queued_total");
  const id = await send({ userId: "pia", title: "Later", push: "always" });
  await eventually(
    "the push to be queued",
    async () =>
      await counter("herald_push_queued_total") > queued ? true : null,
  );
  const inbox = await suite.stack.admin("/v1/users/pia/notifications");
  assert.ok((await inbox.text()).includes(id));
  assert.equal((await messagesAt(sub.endpoint)).length, 0);
  await advanceClock(suite.stack, 3_660_000);
  const got = await eventually("the held push", async () => {
    const m = await messagesAt(sub.endpoint);
    return m.length > 0 ? m : null;
  });
  assert.equal(pushPayload.parse(JSON.parse(got[0]!.payload)).id, id);
});

const inboxItem = z.object({
  id: z.string(),
  channels: z.object({ live: z.number(), push: z.number() }).optional(),
});

/** A user's inbox, read with their own token holding `roles` (which records them). */
async function ownInbox(userId: string, roles: string[]) {
  const res = await fetch(
    `${suite.stack.url}/v1/users/${userId}/notifications`,
    {
      headers: {
        authorization: `Bearer ${await suite.stack.userToken(userId, roles)}`,
      },
    },
  );
  assert.equal(res.status, 200);
  return z.object({ items: z.array(inboxItem) }).parse(await res.json()).items;
}

test("a role broadcast pushes each offline member once, not one it reached live nor one who switched push off", async () => {
  const roles = ["rb-ops", "rb-support"];
  // Members Herald knows: each has read their inbox with their token.
  const both = await subscribedUser("rb-both");
  const live = await subscribedUser("rb-live");
  const off = await subscribedUser("rb-off");
  const late = await subscribedUser("rb-late");
  await ownInbox("rb-both", roles);
  await ownInbox("rb-live", ["rb-ops"]);
  await ownInbox("rb-off", ["rb-support"]);
  await adminJson("/v1/users/rb-off/preferences", "PATCH", {
    channels: { push: false },
  });
  const stream = await openStream("rb-live", ["rb-ops"]);
  try {
    const id = await send({ roles, title: "All hands", push: "offline" });
    await stream.until("notification");
    // Joined after it was sent: not theirs (the inbox's rule), no push.
    await ownInbox("rb-late", ["rb-ops"]);
    const [message] = await eventually("the member's push", async () => {
      const got = await messagesAt(both.endpoint);
      return got.length > 0 ? got : null;
    });
    assert.equal(pushPayload.parse(JSON.parse(message!.payload)).id, id);
    await qstashDrained(suite.stack);
    // A member of both roles is pushed once.
    assert.equal((await messagesAt(both.endpoint)).length, 1);
    for (const sub of [live, off, late]) {
      assert.equal((await messagesAt(sub.endpoint)).length, 0);
    }
    // The operator's inbox view says how far it went; a member's does not.
    const res = await suite.stack.admin("/v1/users/rb-both/notifications");
    const items = z.object({ items: z.array(inboxItem) }).parse(
      await res.json(),
    ).items;
    assert.deepEqual(items.find((i) => i.id === id)?.channels, {
      live: 1,
      push: 1,
    });
    const own = await ownInbox("rb-both", roles);
    assert.equal(own.find((i) => i.id === id)?.channels, undefined);
  } finally {
    await stream.close();
  }
});

test("a role broadcast whose policy is always pushes a member it reached live too", async () => {
  const sub = await subscribedUser("ra-live");
  await ownInbox("ra-live", ["ra-ops"]);
  const stream = await openStream("ra-live", ["ra-ops"]);
  try {
    const id = await send({ roles: ["ra-ops"], title: "Both", push: "always" });
    await stream.until("notification");
    const [message] = await eventually("the push", async () => {
      const got = await messagesAt(sub.endpoint);
      return got.length > 0 ? got : null;
    });
    assert.equal(pushPayload.parse(JSON.parse(message!.payload)).id, id);
  } finally {
    await stream.close();
  }
});

// Last: it moves the clock two months on.
test("the cron sweep removes subscriptions past their expirationTime or unseen for 60 days", async () => {
  const { stack } = suite;
  const expiring = await subscribe();
  const res = await putSubscription("lou", {
    ...expiring,
    expirationTime: Date.now() - 1000,
  });
  assert.equal(res.status, 200);
  await res.body?.cancel();
  const idle = await subscribedUser("lou");
  await stack.runCron();
  const after = await listed("lou");
  assert.equal(after.length, 1);
  assert.equal(after[0]?.expirationTime, null);
  await advanceClock(stack, 59 * 86_400_000);
  await stack.runCron();
  assert.equal((await listed("lou")).length, 1);
  // A page load refreshes the other device; this one stays unseen.
  const fresh = await subscribedUser("lou");
  await advanceClock(stack, 2 * 86_400_000);
  await stack.runCron();
  const kept = await asUser("lou", "/v1/users/lou/push-subscriptions");
  const items = z.object({ items: z.array(subscriptionView) }).parse(
    await kept.json(),
  ).items;
  assert.equal(items.length, 1);
  assert.ok(idle.endpoint !== fresh.endpoint);
});

test("a push queued while QStash is down waits in the outbox and lands once the cron finds QStash back", async () => {
  const { stack } = suite;
  const sub = await subscribedUser("max");
  const kept = async () =>
    /herald_outbox_kept_total\{kind="push"\} [1-9]/.test(
        await (await stack.admin("/metrics")).text(),
      )
      ? true
      : null;
  const qstash = stack.standIns.faults.qstash;
  await qstash.down();
  try {
    await send({ userId: "max", title: "Kept", push: "offline" });
    await eventually("the push to be kept", kept);
  } finally {
    await qstash.up();
  }
  assert.equal((await messagesAt(sub.endpoint)).length, 0);
  await stack.runCron();
  const [message] = await eventually("the kept push to arrive", async () => {
    const got = await messagesAt(sub.endpoint);
    return got.length > 0 ? got : null;
  });
  assert.equal(pushPayload.parse(JSON.parse(message!.payload)).title, "Kept");
});

suite.run();
