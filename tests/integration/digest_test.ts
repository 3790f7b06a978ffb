import assert from "node:assert/strict";
import { z } from "zod";
import { errorBody, read } from "../support/bodies.ts";
import { heraldNow } from "../support/placement.ts";
import {
  qstashDrained,
  setClock as setQStashClock,
} from "../support/qstash.ts";
import { eventually } from "@herald/testing";
import { SseStream } from "../support/sse.ts";
import { runCleanupJob } from "../support/cleanup_job.ts";
import { integrationSuite } from "../support/suite.ts";
import { createClient } from "@libsql/client/web";

/**
 * Digests: posts with the same user, type and `digestKey` inside the
 * type's window join one inbox item, updated in place.
 */
const suite = integrationSuite("digests: a burst as one item");
const { test } = suite;
const setClock = (at: number) => setQStashClock(suite.stack, at);

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const item = z.object({
  id: z.string(),
  title: z.string(),
  readAt: z.string().nullable(),
  data: z.object({
    digest: z.object({
      count: z.number(),
      items: z.array(z.object({ title: z.string() })),
    }),
  }).passthrough(),
});
const posted = z.object({
  notification: item,
  created: z.boolean(),
  joined: z.boolean(),
});
const page = z.object({ items: z.array(item) });
const unread = z.object({ unread: z.number() });

let n = 0;
const newUser = () => `dig-${++n}`;

async function makeType(
  id: string,
  digest: unknown,
  channels = { push: "off" },
) {
  const res = await suite.stack.admin("/v1/types", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      id,
      label: "Comments",
      enabled: false,
      times: ["09:00"],
      template: { title: "{{digest.count}} new comments", body: "On 42" },
      digest,
      channels,
    }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  await res.body?.cancel();
}

function post(body: Record<string, unknown>, headers = {}) {
  return suite.stack.admin("/v1/notifications", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

async function comment(user: string, type: string, i: number) {
  const res = await post({
    userId: user,
    type,
    title: `comment ${i}`,
    digestKey: "comments:42",
  });
  assert.ok(res.status === 201 || res.status === 200, await res.clone().text());
  return await read(res, posted);
}

async function inboxOf(user: string) {
  const items = (await read(
    await suite.stack.admin(`/v1/users/${user}/notifications`),
    page,
  )).items;
  const count = (await read(
    await suite.stack.admin(`/v1/users/${user}/notifications/count`),
    unread,
  )).unread;
  return { items, count };
}

test("setup: digest types", async () => {
  await makeType("comments", { window: "10m", max: 50 });
  await makeType("plain", null);
  await makeType("pushed", { window: "10m", max: 50 }, { push: "offline" });
});

test("30 posts in the window are one inbox item with count 30, unread counted once, updated live 30 times", async () => {
  const user = newUser();
  const stream = await SseStream.open(`${suite.stack.url}/v1/stream`, {
    headers: {
      authorization: `Bearer ${await suite.stack.userToken(user)}`,
    },
  });
  try {
    assert.equal((await stream.next()).event, "connected");
    const answers = [];
    for (let i = 1; i <= 30; i++) {
      answers.push(await comment(user, "comments", i));
    }
    assert.deepEqual(
      answers.map((a) => a.joined),
      [false, ...Array(29).fill(true)],
    );
    const ids = new Set(answers.map((a) => a.notification.id));
    assert.equal(ids.size, 1, "one item");
    const { items, count } = await inboxOf(user);
    assert.equal(items.length, 1);
    assert.equal(count, 1);
    const [only] = items;
    assert.equal(only?.title, "30 new comments");
    assert.equal(only?.data.digest.count, 30);
    assert.deepEqual(
      only?.data.digest.items.map((i) => i.title),
      [
        ...Array.from({ length: 10 }, (_, i) => `comment ${i + 1}`),
        ...Array.from({ length: 10 }, (_, i) => `comment ${i + 21}`),
      ],
    );
    const live: { id: string; count: number }[] = [];
    while (live.length < 30) {
      const events = await stream.until("notification");
      const data = item.parse(JSON.parse(events.at(-1)?.data ?? "{}"));
      live.push({ id: data.id, count: data.data.digest.count });
    }
    assert.deepEqual(
      live,
      Array.from({ length: 30 }, (_, i) => ({ id: [...ids][0], count: i + 1 })),
    );
  } finally {
    await stream.close();
  }
});

test("a digest item read and joined again is unread again", async () => {
  const user = newUser();
  const first = await comment(user, "comments", 1);
  const read1 = await suite.stack.admin(
    `/v1/users/${user}/notifications/${first.notification.id}/read`,
    { method: "POST" },
  );
  assert.equal(read1.status, 200);
  await read1.body?.cancel();
  assert.equal((await inboxOf(user)).count, 0);
  await comment(user, "comments", 2);
  const { items, count } = await inboxOf(user);
  assert.equal(count, 1);
  assert.equal(items[0]?.readAt, null);
  assert.equal(items[0]?.title, "2 new comments");
});

test("joins at once all land, and the item shows the last of them", async () => {
  const user = newUser();
  await comment(user, "comments", 0);
  const answers = await Promise.all(
    [1, 2, 3, 4, 5].map((i) => comment(user, "comments", i)),
  );
  assert.ok(answers.every((a) => a.joined));
  const { items } = await inboxOf(user);
  assert.equal(items.length, 1);
  assert.equal(items[0]?.title, "6 new comments");
  assert.equal(items[0]?.data.digest.count, 6);
  assert.deepEqual(
    items[0]?.data.digest.items.map((i) => i.title).sort(),
    [0, 1, 2, 3, 4, 5].map((i) => `comment ${i}`),
  );
});

test("60 posts with max 50 are two items: 50 and 10", async () => {
  const user = newUser();
  for (let i = 1; i <= 60; i++) await comment(user, "comments", i);
  const { items, count } = await inboxOf(user);
  assert.deepEqual(items.map((i) => i.data.digest.count), [10, 50]);
  assert.equal(count, 2);
});

test("after the window closes the next post starts a new item", async () => {
  const user = newUser();
  const first = await comment(user, "comments", 1);
  await comment(user, "comments", 2);
  await setClock((await heraldNow(suite.stack)) + 10 * MINUTE + 1_000);
  const later = await comment(user, "comments", 3);
  assert.equal(later.created, true);
  assert.notEqual(later.notification.id, first.notification.id);
  const { items } = await inboxOf(user);
  assert.deepEqual(items.map((i) => i.data.digest.count), [1, 2]);
});

test("refused: digestKey for a type with no digest, for roles, with an Idempotency-Key", async () => {
  const cases: [Record<string, unknown>, Record<string, string>][] = [
    [{ userId: "u", type: "plain", title: "x", digestKey: "k" }, {}],
    [{ userId: "u", type: "nope", title: "x", digestKey: "k" }, {}],
    [{ roles: ["ops"], type: "comments", title: "x", digestKey: "k" }, {}],
    [
      { userId: "u", type: "comments", title: "x", digestKey: "k" },
      { "idempotency-key": "once" },
    ],
  ];
  for (const [body, headers] of cases) {
    const res = await post(body, headers);
    assert.equal(res.status, 400, JSON.stringify(body));
    const { error } = errorBody.parse(await res.json());
    assert.match(error.message, /digest|Idempotency/i);
  }
});

/** A device of the user's, subscribed at the push stand-in and saved. */
async function subscribedDevice(user: string): Promise<string> {
  const { stack } = suite;
  const sub = await fetch(`${stack.standIns.pushUrl}/subscribe`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ applicationServerKey: stack.vapidPublicKey }),
  });
  assert.equal(sub.status, 201);
  const subscription = await sub.json();
  const put = await stack.admin(`/v1/users/${user}/push-subscriptions`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(subscription),
  });
  assert.equal(put.status, 200, await put.clone().text());
  await put.body?.cancel();
  return z.object({ endpoint: z.string() }).parse(subscription).endpoint;
}

/** The pushes the stand-in accepted for one endpoint: title and body. */
async function pushesTo(endpoint: string) {
  const res = await fetch(
    `${suite.stack.standIns.pushUrl}/messages?endpoint=${
      encodeURIComponent(endpoint)
    }`,
  );
  const { messages } = z.object({
    messages: z.array(z.object({ payload: z.string() })),
  }).parse(await res.json());
  return messages.map((m) =>
    z.object({ id: z.string(), title: z.string(), body: z.string() })
      .parse(JSON.parse(m.payload))
  );
}

test("30 posts push nothing until the window closes, then once, with the count", async () => {
  const user = newUser();
  const device = await subscribedDevice(user);
  let id = "";
  for (let i = 1; i <= 30; i++) {
    id = (await comment(user, "pushed", i)).notification.id;
  }
  const now = await heraldNow(suite.stack);
  await setClock(now + 10 * MINUTE + 1_000);
  await eventually(
    "the digest's push",
    async () => (await pushesTo(device)).length > 0 ? true : null,
  );
  await qstashDrained(suite.stack);
  assert.deepEqual(await pushesTo(device), [
    { id, title: "30 new comments", body: "On 42" },
  ]);
});

test("max closes a digest early, and that close pushes at once", async () => {
  const user = newUser();
  const device = await subscribedDevice(user);
  for (let i = 1; i <= 50; i++) await comment(user, "pushed", i);
  const [only] = await eventually("the push at max", async () => {
    const got = await pushesTo(device);
    return got.length > 0 ? got : null;
  });
  assert.equal(only?.title, "50 new comments");
});

// Last: it moves the clock a day on.
test("cleanup prunes digests whose window ended before the retention; an open one stays", async () => {
  const old = newUser();
  await comment(old, "comments", 1);
  await setClock((await heraldNow(suite.stack)) + DAY + 11 * MINUTE);
  const fresh = newUser();
  await comment(fresh, "comments", 1);
  const db = createClient({ url: suite.stack.standIns.libsqlUrl });
  const digestsOf = async (user: string) =>
    Number(
      (await db.execute({
        sql: "select count(*) as n from digests where user_id = ?",
        args: [user],
      })).rows[0]?.n,
    );
  try {
    assert.deepEqual([await digestsOf(old), await digestsOf(fresh)], [1, 1]);
    const result = await runCleanupJob(suite.stack, 1);
    assert.ok(result.digestsPruned >= 1, JSON.stringify(result));
    assert.deepEqual([await digestsOf(old), await digestsOf(fresh)], [0, 1]);
    // The open one still takes joins.
    assert.equal((await comment(fresh, "comments", 2)).joined, true);
  } finally {
    db.close();
  }
});

suite.run();
