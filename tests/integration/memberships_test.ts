import assert from "node:assert/strict";
import { Redis } from "@upstash/redis";
import { sign } from "hono/jwt";
import { z } from "zod";
import { errorBody, read } from "../support/bodies.ts";
import { integrationSuite } from "../support/suite.ts";

const suite = integrationSuite("role and topic memberships start when joined");
const { test } = suite;
let n = 0;
const fresh = (what: string) => `${what}-${++n}`;

const page = z.object({
  items: z.array(z.object({ id: z.string(), title: z.string() })),
  nextCursor: z.string().nullable(),
});
const sent = z.object({ notification: z.object({ id: z.string() }) });
const unread = z.object({ unread: z.number().int() });

interface Claims {
  roles?: string[];
  topics?: string[];
}

async function send(target: Record<string, unknown>, title: string) {
  const res = await suite.stack.admin("/v1/notifications", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...target, type: "broadcast", title }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return (await read(res, sent)).notification.id;
}

/** A request as the user, with a token naming these roles and topics. */
async function asUser(
  userId: string,
  claims: Claims,
  path: string,
  init: RequestInit = {},
) {
  const now = Math.floor(Date.now() / 1000);
  const token = await sign(
    { sub: userId, ...claims, iat: now, exp: now + 600 },
    suite.stack.jwtSecret,
    "HS256",
  );
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${token}`);
  return fetch(`${suite.stack.url}${path}`, { ...init, headers });
}

async function inbox(userId: string, claims: Claims) {
  const res = await asUser(userId, claims, `/v1/users/${userId}/notifications`);
  assert.equal(res.status, 200);
  return (await read(res, page)).items.map((i) => i.title);
}

async function count(userId: string, claims: Claims) {
  const res = await asUser(
    userId,
    claims,
    `/v1/users/${userId}/notifications/count`,
  );
  assert.equal(res.status, 200);
  return (await read(res, unread)).unread;
}

/** The count as the admin sees it: memberships as stored, no token. */
async function adminCount(userId: string) {
  const res = await suite.stack.admin(
    `/v1/users/${userId}/notifications/count`,
  );
  return (await read(res, unread)).unread;
}

test("a new member of a role sees none of its history, only what it is sent after joining", async () => {
  const role = fresh("ops");
  const user = fresh("newcomer");
  const ops = { roles: [role] };
  for (const title of ["old 1", "old 2", "old 3"]) {
    await send({ roles: [role] }, title);
  }
  // Sent to them directly before they held the role: theirs all along.
  await send({ userId: user }, "direct");
  assert.deepEqual(await inbox(user, ops), ["direct"]);
  assert.equal(await count(user, ops), 1);
  await send({ roles: [role] }, "new");
  assert.deepEqual(await inbox(user, ops), ["new", "direct"]);
  assert.equal(await count(user, ops), 2);
  assert.equal(await adminCount(user), 2);
  const unreadOnly = await asUser(
    user,
    ops,
    `/v1/users/${user}/notifications?unread=true`,
  );
  assert.deepEqual(
    (await read(unreadOnly, page)).items.map((i) => i.title),
    ["new", "direct"],
  );
});

test("topics follow the same rule as roles", async () => {
  const topic = fresh("releases");
  const user = fresh("subscriber");
  const claims = { topics: [topic] };
  await send({ topic }, "v1");
  assert.deepEqual(await inbox(user, claims), []);
  await send({ topic }, "v2");
  assert.deepEqual(await inbox(user, claims), ["v2"]);
  assert.equal(await count(user, claims), 1);
});

test("an earlier member keeps the history a newcomer does not see", async () => {
  const role = fresh("finance");
  const [veteran, newcomer] = [fresh("veteran"), fresh("newcomer")];
  const claims = { roles: [role] };
  assert.deepEqual(await inbox(veteran, claims), []); // joins now
  await send({ roles: [role] }, "before");
  assert.deepEqual(await inbox(newcomer, claims), []);
  await send({ roles: [role] }, "after");
  assert.deepEqual(await inbox(veteran, claims), ["after", "before"]);
  assert.deepEqual(await inbox(newcomer, claims), ["after"]);
});

test("the cached unread count of a new member holds only what they can see", async () => {
  const role = fresh("support");
  const user = fresh("cached");
  const claims = { roles: [role] };
  await send({ roles: [role] }, "history");
  assert.equal(await count(user, claims), 0);
  const redis = new Redis({
    url: suite.stack.standIns.redis!.restUrl,
    token: suite.stack.standIns.redis!.token,
  });
  const cached = z.object({
    n: z.number(),
    v: z.record(z.string(), z.number()),
  })
    .parse(await redis.get(`herald:unread:${user}`));
  assert.equal(cached.n, 0, "the count Redis keeps is the member's");
  assert.ok(`role:${role}` in cached.v, "stamped with the role's version");
  // A broadcast after joining bumps the role's version: the cache misses.
  await send({ roles: [role] }, "live");
  assert.equal(await count(user, claims), 1);
  assert.equal(await adminCount(user), 1);
});

test("read-all marks only what the member can see; an older broadcast is not theirs to read", async () => {
  const role = fresh("sales");
  const user = fresh("reader");
  const claims = { roles: [role] };
  const older = await send({ roles: [role] }, "older");
  assert.equal(await count(user, claims), 0); // joins now
  await send({ roles: [role] }, "one");
  await send({ roles: [role] }, "two");
  const readOlder = await asUser(
    user,
    claims,
    `/v1/users/${user}/notifications/${older}/read`,
    { method: "POST" },
  );
  assert.equal(readOlder.status, 404);
  assert.equal((await read(readOlder, errorBody)).error.code, "not_found");
  const all = await asUser(
    user,
    claims,
    `/v1/users/${user}/notifications/read-all`,
    { method: "POST" },
  );
  assert.deepEqual(await all.json(), { marked: 2, unread: 0 });
});

test("leaving a role takes its broadcasts out of the inbox; rejoining starts from the new join", async () => {
  const role = fresh("oncall");
  const user = fresh("rotating");
  const member = { roles: [role] };
  const left = { roles: [] };
  assert.deepEqual(await inbox(user, member), []); // joins
  await send({ roles: [role] }, "while a member");
  await send({ userId: user }, "direct");
  assert.equal(await count(user, member), 2);
  // Their next token no longer names the role: its broadcasts go.
  assert.deepEqual(await inbox(user, left), ["direct"]);
  assert.equal(await count(user, left), 1);
  await send({ roles: [role] }, "while away");
  assert.deepEqual(await inbox(user, left), ["direct"]);
  // Named again: a new join, from now — neither earlier broadcast returns.
  assert.deepEqual(await inbox(user, member), ["direct"]);
  assert.equal(await count(user, member), 1);
  await send({ roles: [role] }, "after rejoining");
  assert.deepEqual(await inbox(user, member), ["after rejoining", "direct"]);
  assert.equal(await count(user, member), 2);
});

suite.run();
