import assert from "node:assert/strict";
import { z } from "zod";
import { errorBody, read } from "../support/bodies.ts";
import { integrationSuite } from "../support/suite.ts";

const suite = integrationSuite("Idempotency-Key on create-and-notify");
const { test } = suite;
let n = 0;
const fresh = (what: string) => `idem-${what}-${++n}`;

const result = z.object({
  notification: z.object({ id: z.string(), title: z.string() }),
  created: z.boolean(),
});
const page = z.object({ items: z.array(z.object({ id: z.string() })) });

/** POSTs `body` exactly as given (a string is sent byte for byte). */
function send(body: unknown, key: string) {
  return suite.stack.admin("/v1/notifications", {
    method: "POST",
    headers: { "content-type": "application/json", "idempotency-key": key },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function inboxIds(userId: string) {
  const res = await suite.stack.admin(`/v1/users/${userId}/notifications`);
  return (await read(res, page)).items.map((i) => i.id);
}

test("an identical replay answers the original with 200, as often as it comes", async () => {
  const user = fresh("user");
  const key = fresh("key");
  const body = { userId: user, type: "orders.new", title: "Shipped" };
  const first = await send(body, key);
  assert.equal(first.status, 201);
  const original = await read(first, result);
  for (let i = 0; i < 2; i++) {
    const again = await send(body, key);
    assert.equal(again.status, 200);
    const replay = await read(again, result);
    assert.equal(replay.created, false);
    assert.equal(replay.notification.id, original.notification.id);
  }
  assert.deepEqual(await inboxIds(user), [original.notification.id]);
});

test("the same request spelled differently is the same request", async () => {
  const user = fresh("user");
  const key = fresh("key");
  const first = await send(
    `{"userId":"${user}","type":"orders.new","title":"Hi","data":{"a":1,"b":[1,2]}}`,
    key,
  );
  assert.equal(first.status, 201);
  const { notification } = await read(first, result);
  // Keys in another order, spacing, a title that trims to the same, and the
  // defaults written out: what was validated is identical.
  const respelled = await send(
    `{ "data": {"b": [1, 2], "a": 1}, "title": "  Hi ", "severity": "medium",
       "body": "", "type": "orders.new", "userId": "${user}" }`,
    key,
  );
  assert.equal(respelled.status, 200, await respelled.clone().text());
  assert.equal(
    (await read(respelled, result)).notification.id,
    notification.id,
  );
});

test("a reused key with a different request is a 422 that sends nothing", async () => {
  const user = fresh("user");
  const other = fresh("other");
  const key = fresh("key");
  const body = { userId: user, type: "orders.new", title: "Once" };
  const first = await send(body, key);
  assert.equal(first.status, 201);
  const { notification } = await read(first, result);
  const changes: Record<string, unknown>[] = [
    { title: "Twice" },
    { userId: other },
    { severity: "high" },
    { data: { orderId: 7 } },
    { body: "more" },
    { type: "orders.paid" },
  ];
  for (const change of changes) {
    const res = await send({ ...body, ...change }, key);
    assert.equal(res.status, 422, JSON.stringify(change));
    const { error } = await read(res, errorBody);
    assert.equal(error.code, "idempotency_key_reused");
    assert.match(error.message, /different request/);
    assert.ok(!error.message.includes(key), "the key is not echoed");
  }
  assert.deepEqual(await inboxIds(user), [notification.id]);
  assert.deepEqual(await inboxIds(other), []);
  // The original is still what the key answers.
  const replay = await send(body, key);
  assert.equal(replay.status, 200);
  assert.equal((await read(replay, result)).notification.id, notification.id);
});

test("concurrent requests with one key and two bodies create one notification; the other body is refused", async () => {
  const user = fresh("user");
  const key = fresh("key");
  const bodies = ["A", "B"].map((title) => ({
    userId: user,
    type: "race",
    title,
  }));
  const attempts = Array.from({ length: 12 }, (_, i) => bodies[i % 2]!);
  const answers = await Promise.all(attempts.map(async (body) => {
    const res = await send(body, key);
    const json: unknown = await res.json();
    return { body, status: res.status, json };
  }));
  const winners = answers.filter((a) => a.status === 201);
  assert.equal(winners.length, 1, JSON.stringify(answers.map((a) => a.status)));
  const winner = winners[0]!;
  const won = result.parse(winner.json).notification;
  for (const answer of answers) {
    if (answer === winner) continue;
    if (answer.body === winner.body) {
      assert.equal(answer.status, 200);
      assert.equal(result.parse(answer.json).notification.id, won.id);
    } else {
      assert.equal(answer.status, 422);
      assert.equal(
        errorBody.parse(answer.json).error.code,
        "idempotency_key_reused",
      );
    }
  }
  assert.equal(won.title, winner.body.title);
  assert.deepEqual(await inboxIds(user), [won.id]);
});

suite.run();
