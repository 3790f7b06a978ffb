import assert from "node:assert/strict";
import { Redis } from "@upstash/redis";
import { z } from "zod";
import { errorBody, read } from "../support/bodies.ts";
import { SseStream } from "../support/sse.ts";
import { WsReader } from "../support/ws_reader.ts";
import { refusedUpgrade } from "./fixtures/realtime_harness.ts";
import { integrationSuite } from "../support/suite.ts";

const suite = integrationSuite("the inbox API and live streams");
const { test } = suite;
let n = 0;
const newUser = () => `inbox-${++n}`;

const item = z.object({
  id: z.string(),
  type: z.string(),
  title: z.string(),
  body: z.string(),
  severity: z.enum(["low", "medium", "high", "critical"]),
  data: z.record(z.string(), z.unknown()).nullable(),
  createdAt: z.string(),
  readAt: z.string().nullable(),
});
const created = z.object({ notification: item, created: z.boolean() });
const page = z.object({
  items: z.array(item),
  nextCursor: z.string().nullable(),
});
const unread = z.object({ unread: z.number().int() });

function send(body: unknown, headers: Record<string, string> = {}) {
  return suite.stack.admin("/v1/notifications", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

async function sendTo(userId: string, title = "Hello") {
  const res = await send({
    userId,
    type: "orders.new",
    title,
    body: "b",
    severity: "high",
  });
  assert.equal(res.status, 201, await res.clone().text());
  return (await read(res, created)).notification;
}

const asUser = async (
  userId: string,
  path: string,
  init: RequestInit = {},
  roles?: string[],
) => {
  const headers = new Headers(init.headers);
  headers.set(
    "authorization",
    `Bearer ${await suite.stack.userToken(userId, roles)}`,
  );
  return fetch(`${suite.stack.url}${path}`, { ...init, headers });
};

async function count(userId: string) {
  return (await read(
    await suite.stack.admin(`/v1/users/${userId}/notifications/count`),
    unread,
  )).unread;
}

async function openStream(
  userId: string,
  opts: { roles?: string[]; topics?: string[]; lastEventId?: string } = {},
) {
  const token = await signUser(userId, opts.roles, opts.topics);
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (opts.lastEventId) headers["last-event-id"] = opts.lastEventId;
  const stream = await SseStream.open(`${suite.stack.url}/v1/stream`, {
    headers,
  });
  const connected = await stream.next();
  assert.equal(connected.event, "connected");
  return stream;
}

async function signUser(userId: string, roles?: string[], topics?: string[]) {
  const { sign } = await import("hono/jwt");
  const now = Math.floor(Date.now() / 1000);
  return sign(
    { sub: userId, roles, topics, iat: now, exp: now + 600 },
    suite.stack.jwtSecret,
    "HS256",
  );
}

test("create-and-notify stores the notification and pushes it with the new count", async () => {
  const user = newUser();
  const stream = await openStream(user);
  try {
    const sent = await sendTo(user);
    assert.equal(sent.severity, "high");
    assert.equal(sent.readAt, null);
    const events = await stream.until("count");
    const notification = events.find((e) => e.event === "notification");
    assert.equal(item.parse(JSON.parse(notification!.data)).id, sent.id);
    assert.ok(notification!.id, "every event has an id");
    assert.deepEqual(JSON.parse(events.at(-1)!.data), { unread: 1 });
    const listed = await read(
      await suite.stack.admin(`/v1/users/${user}/notifications`),
      page,
    );
    assert.deepEqual(listed.items.map((i) => i.id), [sent.id]);
  } finally {
    await stream.close();
  }
});

test("the same Idempotency-Key returns the same notification, never a second one", async () => {
  const user = newUser();
  const body = { userId: user, type: "orders.new", title: "Once" };
  const first = await send(body, { "idempotency-key": `k-${user}` });
  const second = await send(body, { "idempotency-key": `k-${user}` });
  assert.equal(first.status, 201);
  assert.equal(second.status, 200);
  const a = await read(first, created);
  const b = await read(second, created);
  assert.equal(b.created, false);
  assert.equal(a.notification.id, b.notification.id);
  assert.equal(await count(user), 1);
});

test("invalid create requests are 400s that name the field and create nothing", async () => {
  const user = newUser();
  const cases: [unknown, string][] = [
    [{ userId: user, topic: "x", type: "t", title: "t" }, "userId"],
    [{ userId: user, type: "t", title: "t", severity: "urgent" }, "severity"],
    [{ userId: user, type: "has space", title: "t" }, "type"],
    [{ userId: user, type: "t", title: "" }, "title"],
    [{ userId: user, type: "t", title: "t", extra: 1 }, ""],
    [{ roles: [], type: "t", title: "t" }, "roles"],
  ];
  for (const [body, field] of cases) {
    const res = await send(body);
    assert.equal(res.status, 400, JSON.stringify(body));
    const { error } = await read(res, errorBody);
    assert.equal(error.code, "validation_failed");
    assert.ok(
      error.fields?.some((f) => f.path.startsWith(field)),
      JSON.stringify(error),
    );
  }
  const badKey = await send({ userId: user, type: "t", title: "t" }, {
    "idempotency-key": "é".repeat(3),
  });
  assert.equal(badKey.status, 400);
  await badKey.body?.cancel();
  assert.equal(await count(user), 0);
});

test("a role broadcast reaches every holder of the role and nobody else", async () => {
  const [a, b, c] = [newUser(), newUser(), newUser()];
  const streams = [
    await openStream(a, { roles: ["ops"] }),
    await openStream(b, { roles: ["ops", "sales"] }),
    await openStream(c, { roles: ["sales"] }),
  ];
  try {
    const res = await send({
      roles: ["ops"],
      type: "incident",
      title: "Disk full",
      severity: "critical",
    });
    assert.equal(res.status, 201);
    const { notification } = await read(res, created);
    for (const s of streams.slice(0, 2)) {
      const got = (await s.until("notification")).at(-1)!;
      assert.equal(JSON.parse(got.data).id, notification.id);
      // The holders online get their new count, counted for each.
      const count = (await s.until("count")).at(-1)!;
      assert.deepEqual(JSON.parse(count.data), { unread: 1 });
    }
    const outsider = await streams[2]!.drain(400);
    assert.equal(outsider.filter((e) => e.event === "notification").length, 0);
    // Holders see it in their inbox and count; the outsider does not.
    assert.equal(await count(a), 1);
    assert.equal(await count(b), 1);
    assert.equal(await count(c), 0);
  } finally {
    for (const s of streams) await s.close();
  }
});

test("a topic broadcast reaches subscribers of the topic", async () => {
  const [a, b] = [newUser(), newUser()];
  const sa = await openStream(a, { topics: ["releases"] });
  const sb = await openStream(b);
  try {
    assert.equal(
      (await send({ topic: "releases", type: "release", title: "v2" })).status,
      201,
    );
    assert.equal((await sa.until("notification")).length > 0, true);
    assert.equal(
      (await sb.drain(300)).filter((e) => e.event === "notification").length,
      0,
    );
  } finally {
    await sa.close();
    await sb.close();
  }
});

test("the unread count stays right through new, read and read-all, pushed each time", async () => {
  const user = newUser();
  const stream = await openStream(user);
  try {
    const sent = [
      await sendTo(user, "1"),
      await sendTo(user, "2"),
      await sendTo(user, "3"),
    ];
    assert.equal(await count(user), 3);
    const readOne = await asUser(
      user,
      `/v1/users/${user}/notifications/${sent[0]!.id}/read`,
      { method: "POST" },
    );
    assert.deepEqual(await read(readOne, unread), { unread: 2 });
    const again = await asUser(
      user,
      `/v1/users/${user}/notifications/${sent[0]!.id}/read`,
      { method: "POST" },
    );
    assert.deepEqual(await read(again, unread), { unread: 2 });
    const all = await suite.stack.admin(
      `/v1/users/${user}/notifications/read-all`,
      { method: "POST" },
    );
    assert.deepEqual(await all.json(), { marked: 2, unread: 0 });
    assert.equal(await count(user), 0);
    await sendTo(user, "4");
    assert.equal(await count(user), 1);
    const counts: number[] = [];
    for (const e of await stream.drain(800)) {
      if (e.event === "count") counts.push(JSON.parse(e.data).unread);
    }
    assert.deepEqual(counts.slice(-3), [2, 0, 1]);
    const unreadOnly = await read(
      await suite.stack.admin(`/v1/users/${user}/notifications?unread=true`),
      page,
    );
    assert.deepEqual(unreadOnly.items.map((i) => i.title), ["4"]);
  } finally {
    await stream.close();
  }
});

test("the unread count is cached in Redis and stays correct with Redis down", async () => {
  const user = newUser();
  await sendTo(user);
  assert.equal(await count(user), 1);
  const redis = new Redis({
    url: suite.stack.standIns.redis!.restUrl,
    token: suite.stack.standIns.redis!.token,
  });
  const stored = z.object({ n: z.number() }).parse(
    await redis.get(`herald:unread:${user}`),
  );
  assert.equal(stored.n, 1, "the count was served from, and kept in, Redis");
  await suite.stack.standIns.faults.redis!.down();
  try {
    await sendTo(user);
    assert.equal(await count(user), 2, "counted in libSQL while Redis is down");
    const health = z.object({ status: z.string() }).parse(
      await (await fetch(`${suite.stack.url}/health`)).json(),
    );
    assert.equal(health.status, "degraded");
  } finally {
    await suite.stack.standIns.faults.redis!.up();
  }
  // The change made while Redis was away could not invalidate it; the next
  // change overwrites it (and its TTL bounds the staleness otherwise).
  await sendTo(user);
  assert.equal(await count(user), 3);
});

test("a broadcast invalidates every member's cached count at once", async () => {
  const [a, b] = [newUser(), newUser()];
  for (const user of [a, b]) {
    const s = await openStream(user, { roles: ["finance"] });
    await s.close();
    assert.equal(await count(user), 0); // now cached
  }
  const res = await send({
    roles: ["finance"],
    type: "close",
    title: "Month end",
  });
  assert.equal(res.status, 201);
  await res.body?.cancel();
  assert.equal(await count(a), 1);
  assert.equal(await count(b), 1);
});

test("refresh pushes a recount and is rate limited with Retry-After", async () => {
  const user = newUser();
  await sendTo(user);
  const statuses: number[] = [];
  let retryAfter: string | null = null;
  for (let i = 0; i < 7; i++) {
    const res = await asUser(user, `/v1/users/${user}/notifications/refresh`, {
      method: "POST",
    });
    statuses.push(res.status);
    if (res.status === 429) {
      retryAfter = res.headers.get("retry-after");
      assert.equal((await read(res, errorBody)).error.code, "rate_limited");
    } else {
      assert.deepEqual(await read(res, unread), { unread: 1 });
    }
  }
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
  assert.ok(Number(retryAfter) >= 1);
});

test("pages are newest first with an opaque cursor and no overlap", async () => {
  const user = newUser();
  for (let i = 0; i < 25; i++) await sendTo(user, `n${i}`);
  const titles: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const query: string = cursor ? `?limit=10&cursor=${cursor}` : "?limit=10";
    const p = await read(
      await suite.stack.admin(`/v1/users/${user}/notifications${query}`),
      page,
    );
    titles.push(...p.items.map((i) => i.title));
    cursor = p.nextCursor;
    pages++;
  } while (cursor);
  assert.equal(pages, 3);
  assert.deepEqual(titles, Array.from({ length: 25 }, (_, i) => `n${24 - i}`));
  const bad = await suite.stack.admin(
    `/v1/users/${user}/notifications?cursor=nope`,
  );
  assert.equal(bad.status, 400);
  await bad.body?.cancel();
});

test("users reach only their own inbox; creating needs the admin key", async () => {
  const [me, other] = [newUser(), newUser()];
  await sendTo(other);
  const mine = await asUser(me, `/v1/users/${me}/notifications`);
  assert.equal(mine.status, 200);
  await mine.body?.cancel();
  for (
    const path of [
      `/v1/users/${other}/notifications`,
      `/v1/users/${other}/notifications/count`,
    ]
  ) {
    const res = await asUser(me, path);
    assert.equal(res.status, 403);
    await res.body?.cancel();
  }
  const theirs = (await read(
    await suite.stack.admin(`/v1/users/${other}/notifications`),
    page,
  )).items[0]!;
  const steal = await asUser(
    me,
    `/v1/users/${me}/notifications/${theirs.id}/read`,
    { method: "POST" },
  );
  assert.equal(steal.status, 404);
  await steal.body?.cancel();
  const create = await asUser(me, "/v1/notifications", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId: me, type: "t", title: "t" }),
  });
  assert.equal(create.status, 403);
  await create.body?.cancel();
  const anonymous = await fetch(
    `${suite.stack.url}/v1/users/${me}/notifications`,
  );
  assert.equal(anonymous.status, 401);
  await anonymous.body?.cancel();
});

test("reconnecting with Last-Event-ID replays exactly the missed events, in order", async () => {
  const user = newUser();
  const first = await openStream(user);
  await sendTo(user, "before");
  const seen = await first.until("count");
  const lastId = seen.at(-1)!.id!;
  await first.close();
  const missed = [await sendTo(user, "m1"), await sendTo(user, "m2")];
  const second = await openStream(user, { lastEventId: lastId });
  try {
    const replayed = await second.drain(600);
    const notifications = replayed.filter((e) => e.event === "notification")
      .map((e) => JSON.parse(e.data).id);
    assert.deepEqual(notifications, missed.map((m) => m.id));
    const ids = replayed.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length, "no event twice");
  } finally {
    await second.close();
  }
});

test("stream tokens open a stream from a URL; user JWTs in URLs and other users' streams do not", async () => {
  const user = newUser();
  const issued = await asUser(user, "/v1/stream/token", { method: "POST" });
  assert.equal(issued.status, 200);
  const { token, url } = z.object({
    token: z.string(),
    url: z.string(),
    expiresAt: z.string(),
  }).parse(await issued.json());
  assert.ok(url.endsWith(`/v1/stream?token=${token}`));
  const stream = await SseStream.open(
    `${suite.stack.url}/v1/stream?token=${token}`,
  );
  assert.equal((await stream.next()).event, "connected");
  assert.equal(
    stream.response.headers.get("cache-control"),
    "no-cache, no-transform",
  );
  assert.equal(stream.response.headers.get("x-accel-buffering"), "no");
  await sendTo(user, "via token");
  assert.ok((await stream.until("notification")).length > 0);
  await stream.close();
  const jwtInUrl = await fetch(
    `${suite.stack.url}/v1/stream?token=${await signUser(user)}`,
  );
  assert.equal(jwtInUrl.status, 401);
  await jwtInUrl.body?.cancel();
  const streamTokenAsBearer = await fetch(
    `${suite.stack.url}/v1/users/${user}/notifications`,
    {
      headers: { authorization: `Bearer ${token}` },
    },
  );
  assert.equal(streamTokenAsBearer.status, 401);
  await streamTokenAsBearer.body?.cancel();
  const admin = await suite.stack.admin("/v1/stream/token", { method: "POST" });
  assert.equal(admin.status, 403);
  await admin.body?.cancel();
});

test("a WebSocket on the stream URL carries what SSE carries, with the same auth", async () => {
  const user = newUser();
  const issued = await asUser(user, "/v1/stream/token", { method: "POST" });
  const { url } = z.object({ url: z.string() }).parse(await issued.json());
  const wsUrl = url.replace(/^http/, "ws");
  const socket = await WsReader.open(wsUrl);
  const sse = await openStream(user);
  try {
    const connected = await socket.nextEvent();
    assert.equal(connected?.event, "connected");
    // Counts are live only: a connection starts from the current one.
    assert.equal(JSON.parse(connected?.data ?? "{}").unread, 0);
    const sent = await sendTo(user, "both ways");
    const viaSse = await sse.until("count");
    const viaSocket = [await socket.nextEvent(), await socket.nextEvent()];
    assert.deepEqual(
      viaSocket.map((e) => [e?.event, e?.id, e?.data]),
      viaSse.map((e) => [e.event, e.id, e.data]),
    );
    assert.equal(JSON.parse(viaSocket[0]?.data ?? "{}").id, sent.id);
    // Resuming by the query, as a browser must, replays what was missed.
    const lastId = viaSocket[1]?.id ?? "";
    await socket.close();
    const missed = await sendTo(user, "missed");
    const again = await WsReader.open(
      `${wsUrl}&lastEventId=${encodeURIComponent(lastId)}`,
    );
    const reconnected = await again.nextEvent();
    assert.equal(JSON.parse(reconnected?.data ?? "{}").unread, 2);
    const replayed = await again.nextEvent();
    assert.equal(JSON.parse(replayed?.data ?? "{}").id, missed.id);
    await again.close();
  } finally {
    await socket.close();
    await sse.close();
  }
  // No token, or a long-lived JWT in the URL: refused before any upgrade.
  const base = `${suite.stack.url.replace(/^http/, "ws")}/v1/stream`;
  assert.equal((await refusedUpgrade(base)).status, 401);
  const jwt = await signUser(user);
  assert.equal((await refusedUpgrade(`${base}?token=${jwt}`)).status, 401);
});

test("realtime status shows live connections, their shards and pending fan-outs", async () => {
  const user = newUser();
  const stream = await openStream(user, { roles: ["status-role"] });
  try {
    const statusBody = z.object({
      shards: z.array(z.object({
        name: z.string(),
        connections: z.number(),
        sse: z.number(),
        websocket: z.number(),
        logSize: z.number(),
        lastSeq: z.number(),
        wakes: z.number(),
      })),
      channels: z.array(
        z.object({ name: z.string(), subscribers: z.number() }),
      ),
      subscribers: z.number(),
      pendingFanouts: z.number(),
    });
    // The stream is accepted by its shard before its first byte: no wait.
    const res = await suite.stack.admin("/v1/realtime/status");
    assert.equal(res.status, 200);
    const status = statusBody.parse(await res.json());
    for (const name of [`user:${user}`, "role:status-role"]) {
      assert.equal(
        status.channels.find((c) => c.name === name)?.subscribers,
        1,
        name,
      );
    }
    assert.equal(status.shards.length, 16);
    assert.ok(status.shards.some((s) => s.sse >= 1));
    assert.equal(status.pendingFanouts, 0);
    const forbidden = await asUser(user, "/v1/realtime/status");
    assert.equal(forbidden.status, 403);
    await forbidden.body?.cancel();
  } finally {
    await stream.close();
  }
});

suite.run();
