import assert from "node:assert/strict";
import { Redis } from "@upstash/redis";
import { createClient } from "@libsql/client/web";
import { z } from "zod";
import { errorBody, read } from "../support/bodies.ts";
import { heraldNow } from "../support/placement.ts";
import { setClock as setQStashClock } from "../support/qstash.ts";
import { SseStream } from "../support/sse.ts";
import { integrationSuite } from "../support/suite.ts";

/**
 * `expiresAt`: after it a notification leaves the inbox list, the unread
 * count (Redis's cached one too) and stream replay — a user's own and a
 * role's broadcast — and the cleanup job removes it a day later.
 */
const suite = integrationSuite("expiresAt: notices that expire");
const { test } = suite;
const setClock = (at: number) => setQStashClock(suite.stack, at);

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const item = z.object({
  id: z.string(),
  title: z.string(),
  createdAt: z.string(),
  expiresAt: z.string().optional(),
});
const created = z.object({ notification: item, created: z.boolean() });
const page = z.object({ items: z.array(item) });
const unread = z.object({ unread: z.number().int() });

let n = 0;
const newUser = () => `exp-${++n}`;

function post(body: Record<string, unknown>) {
  return suite.stack.admin("/v1/notifications", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ type: "outage", title: "Notice", ...body }),
  });
}

async function send(body: Record<string, unknown>) {
  const res = await post(body);
  assert.equal(res.status, 201, await res.clone().text());
  return (await read(res, created)).notification;
}

/** As the user (their token's roles synced), the inbox's titles and count. */
async function inboxOf(user: string, roles: string[] = []) {
  const token = await suite.stack.userToken(user, roles);
  const get = (path: string) =>
    fetch(`${suite.stack.url}/v1/users/${user}/notifications${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
  const titles = (await read(await get(""), page)).items.map((i) => i.title);
  const count = (await read(await get("/count"), unread)).unread;
  return { titles, count };
}

async function openStream(
  user: string,
  roles: string[],
  lastEventId?: string,
) {
  const headers: Record<string, string> = {
    authorization: `Bearer ${await suite.stack.userToken(user, roles)}`,
  };
  if (lastEventId) headers["last-event-id"] = lastEventId;
  const stream = await SseStream.open(`${suite.stack.url}/v1/stream`, {
    headers,
  });
  const connected = await stream.next();
  assert.equal(connected.event, "connected");
  return { stream, cursor: connected.id ?? "" };
}

/**
 * What a stream resumed from `cursor` replays: the titles of its
 * notifications up to a marker, a notification sent after it connected.
 */
let markers = 0;
async function replayedFrom(user: string, roles: string[], cursor: string) {
  const { stream } = await openStream(user, roles, cursor);
  const marker = `marker-${++markers}`;
  try {
    await send({ userId: user, title: marker });
    const titles: string[] = [];
    for (;;) {
      const events = await stream.until("notification");
      const title = z.object({ title: z.string() })
        .parse(JSON.parse(events.at(-1)?.data ?? "{}")).title;
      if (title === marker) return titles;
      titles.push(title);
    }
  } finally {
    await stream.close();
  }
}

test("a user's notice with a duration leaves the list, the cached count and replay when it expires", async () => {
  const user = newUser();
  const { stream, cursor } = await openStream(user, []);
  await stream.close();
  const notice = await send({ userId: user, title: "outage", expiresAt: "8h" });
  assert.equal(
    Date.parse(notice.expiresAt ?? ""),
    Date.parse(notice.createdAt) + 8 * HOUR,
  );
  await send({ userId: user, title: "kept" });
  assert.deepEqual(await replayedFrom(user, [], cursor), ["outage", "kept"]);
  // A count cached from now on (an older entry is only filled when
  // absent) holds the notice: the expiry must make it a miss.
  const { redis: rest } = suite.stack.standIns;
  assert.ok(rest, "the test stack runs Redis");
  const redis = new Redis({ url: rest.restUrl, token: rest.token });
  await redis.del(`herald:unread:${user}`);
  assert.deepEqual(await inboxOf(user), {
    titles: ["marker-1", "kept", "outage"],
    count: 3,
  });
  const cached = z.object({ n: z.number() })
    .parse(await redis.get(`herald:unread:${user}`));
  assert.equal(cached.n, 3, "the count is cached");

  await setClock(Date.parse(notice.expiresAt ?? "") + MINUTE);
  const after = await inboxOf(user);
  assert.deepEqual(after, { titles: ["marker-1", "kept"], count: 2 });
  assert.deepEqual(await replayedFrom(user, [], cursor), ["kept", "marker-1"]);
});

test("a role's broadcast with an instant expiry leaves every member's inbox, count and replay", async () => {
  const [ada, bo] = [newUser(), newUser()];
  // Members from before the broadcast.
  await inboxOf(ada, ["ops"]);
  const { stream, cursor } = await openStream(bo, ["ops"]);
  await stream.close();
  const now = await heraldNow(suite.stack);
  const until = new Date(now + 2 * HOUR).toISOString();
  const notice = await send({
    roles: ["ops"],
    title: "maintenance",
    expiresAt: until,
  });
  assert.equal(notice.expiresAt, until);
  for (const user of [ada, bo]) {
    assert.deepEqual(await inboxOf(user, ["ops"]), {
      titles: ["maintenance"],
      count: 1,
    });
  }
  assert.deepEqual(await replayedFrom(bo, ["ops"], cursor), ["maintenance"]);
  await setClock(now + 2 * HOUR + MINUTE);
  assert.deepEqual(await inboxOf(ada, ["ops"]), { titles: [], count: 0 });
  assert.deepEqual(await inboxOf(bo, ["ops"]), {
    titles: ["marker-3"],
    count: 1,
  });
  assert.deepEqual(await replayedFrom(bo, ["ops"], cursor), ["marker-3"]);
});

test("refused: an expiry already past, not after deliverAt, or not a duration or instant", async () => {
  const now = await heraldNow(suite.stack);
  for (
    const body of [
      { userId: "u", expiresAt: new Date(now - HOUR).toISOString() },
      { userId: "u", expiresAt: "0m" },
      { userId: "u", expiresAt: "30s" },
      { userId: "u", expiresAt: "8 hours" },
      { userId: "u", expiresAt: "2027-01-01T09:00" },
      {
        userId: "u",
        deliverAt: new Date(now + 3 * HOUR).toISOString(),
        expiresAt: new Date(now + 2 * HOUR).toISOString(),
      },
    ]
  ) {
    const res = await post(body);
    assert.equal(res.status, 400, JSON.stringify(body));
    const { error } = errorBody.parse(await res.json());
    assert.ok(
      error.fields?.some((f) => f.path === "expiresAt"),
      error.message,
    );
  }
});

test("a deliverAt send's duration counts from its delivery", async () => {
  const user = newUser();
  const now = await heraldNow(suite.stack);
  const res = await post({
    userId: user,
    title: "later",
    deliverAt: new Date(now + HOUR).toISOString(),
    expiresAt: "2h",
  });
  assert.equal(res.status, 202, await res.clone().text());
  await res.body?.cancel();
  await setClock(now + HOUR + MINUTE);
  const delivered = await read(
    await suite.stack.admin(`/v1/users/${user}/notifications`),
    page,
  );
  const [only] = delivered.items;
  assert.ok(only);
  assert.equal(
    Date.parse(only.expiresAt ?? ""),
    Date.parse(only.createdAt) + 2 * HOUR,
  );
  await setClock(now + 3 * HOUR + 2 * MINUTE);
  assert.deepEqual(await inboxOf(user), { titles: [], count: 0 });
});

test("cleanup removes a notification a day after it expired, not before", async () => {
  const user = newUser();
  const now = await heraldNow(suite.stack);
  const notice = await send({ userId: user, title: "brief", expiresAt: "1h" });
  await send({ userId: user, title: "kept" });
  const put = await suite.stack.admin("/v1/scheduler/jobs/cleanup", {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      name: "Clean up",
      trigger: { type: "cron", cron: "0 2 * * *", timezone: "UTC" },
      target: { builtin: "cleanup", retentionDays: 90 },
    }),
  });
  assert.ok(put.status < 300, await put.clone().text());
  await put.body?.cancel();
  const db = createClient({ url: suite.stack.standIns.libsqlUrl });
  const stored = async () =>
    Number(
      (await db.execute({
        sql: "select count(*) as n from notifications where id = ?",
        args: [notice.id],
      })).rows[0]?.n,
    );
  const cleanup = async () => {
    const res = await suite.stack.admin(
      "/v1/scheduler/jobs/cleanup/trigger",
      { method: "POST" },
    );
    assert.equal(res.status, 200, await res.clone().text());
    await res.body?.cancel();
  };
  try {
    await setClock(now + 2 * HOUR);
    await cleanup();
    assert.equal(await stored(), 1, "expired an hour ago: kept");
    await setClock(now + DAY + 2 * HOUR);
    await cleanup();
    assert.equal(await stored(), 0, "expired over a day ago: removed");
    assert.deepEqual((await inboxOf(user)).titles, ["kept"]);
  } finally {
    db.close();
  }
});

suite.run();
