import assert from "node:assert/strict";
import {
  createHerald,
  createUserToken,
  type Herald,
  HeraldError,
} from "../../src/sdk/mod.ts";
import { SseStream } from "../support/sse.ts";
import { integrationSuite } from "../support/suite.ts";

/**
 * The server SDK against the real Worker: each area it covers, the tokens
 * it mints, and how a refusal reaches the caller.
 */
const suite = integrationSuite("the server SDK");
const { test } = suite;

function admin(): Herald {
  const { url, apiKey, jwtSecret } = suite.stack;
  return createHerald({ url, token: apiKey, jwtSecret });
}

async function refusal(work: Promise<unknown>): Promise<HeraldError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof HeraldError) return error;
    throw error;
  }
  throw new Error("Expected a HeraldError");
}

test("preferences: replace, update and read back, reconciled", async () => {
  const herald = admin();
  const put = await herald.preferences.replace("sdk-ada", {
    enabled: true,
    timezone: "Europe/Paris",
    types: { morningDigest: { enabled: true, times: ["09:30"] } },
  });
  assert.equal(put.version, 1);
  assert.equal(put.reconcile.status, "synced");
  assert.equal(put.reconcile.created.length, 1);
  const patched = await herald.preferences.update("sdk-ada", {
    quietHours: { start: "22:00", end: "07:00" },
  });
  assert.deepEqual(patched.changes.map((c) => c.path), ["quietHours"]);
  const read = await herald.preferences.get("sdk-ada");
  assert.equal(read.version, 2);
  assert.deepEqual(read.preferences.quietHours, {
    start: "22:00",
    end: "07:00",
  });
});

test("a refusal is a HeraldError with the envelope's code, fields and request id", async () => {
  const error = await refusal(
    admin().preferences.update("sdk-ada", { timezone: "Mars/Olympus" }),
  );
  assert.equal(error.status, 400);
  assert.equal(error.code, "validation_failed");
  assert.deepEqual(error.fields.map((f) => f.path), ["timezone"]);
  assert.match(error.requestId ?? "", /^[0-9a-f-]{36}$/);
});

test("notifications and the inbox, as the admin and as the user with a minted token", async () => {
  const herald = admin();
  const first = await herald.notifications.send(
    { userId: "sdk-bob", type: "orders.new", title: "Order shipped" },
    { idempotencyKey: "sdk-order-1" },
  );
  assert.equal(first.created, true);
  const again = await herald.notifications.send(
    { userId: "sdk-bob", type: "orders.new", title: "Order shipped" },
    { idempotencyKey: "sdk-order-1" },
  );
  assert.deepEqual(again, { ...first, created: false });

  const bob = herald.withToken(await herald.tokens.user("sdk-bob"));
  const page = await bob.inbox.list("sdk-bob", { limit: "10" });
  assert.deepEqual(page.items.map((n) => n.id), [first.notification.id]);
  assert.deepEqual(await bob.inbox.count("sdk-bob"), { unread: 1 });
  assert.deepEqual(await bob.inbox.read("sdk-bob", first.notification.id), {
    unread: 0,
  });
  assert.deepEqual(await bob.inbox.readAll("sdk-bob"), {
    marked: 0,
    unread: 0,
  });
  assert.deepEqual(await bob.inbox.refresh("sdk-bob"), { unread: 0 });

  const forbidden = await refusal(bob.inbox.count("sdk-ada"));
  assert.equal(forbidden.status, 403);
  assert.equal(forbidden.code, "forbidden");
});

test("roles and topics in a minted token bring broadcasts into the user's inbox", async () => {
  const herald = admin();
  const token = await createUserToken(suite.stack.jwtSecret, "sdk-cy", {
    roles: ["ops"],
    topics: ["news"],
    ttl: 60,
  });
  const cy = herald.withToken(token);
  // Reading the inbox records the token's memberships.
  await cy.inbox.list("sdk-cy");
  await herald.notifications.send({
    topic: "news",
    type: "news.flash",
    title: "Flash",
  });
  const page = await cy.inbox.list("sdk-cy");
  assert.deepEqual(page.items.map((n) => n.title), ["Flash"]);
});

test("stream tokens: minted by the SDK or fetched as the user, both open the stream", async () => {
  const herald = admin();
  const minted = await herald.tokens.stream("sdk-dee");
  const first = await SseStream.open(minted.url);
  try {
    assert.equal((await first.until("connected")).length > 0, true);
  } finally {
    await first.close();
  }
  const dee = herald.withToken(await herald.tokens.user("sdk-dee"));
  const fetched = await dee.tokens.fetchStream();
  assert.ok(fetched.url.includes("/v1/stream?token="));
  const second = await SseStream.open(fetched.url);
  try {
    await second.until("connected");
  } finally {
    await second.close();
  }
});

test("scheduler control: status, drift and repair, health, counts, stop and start", async () => {
  const herald = admin();
  const status = await herald.scheduler.status({ userId: "sdk-ada" });
  assert.equal(status.running, true);
  assert.equal(status.jobs.length, 1);
  const drift = await herald.scheduler.drift("sdk-ada");
  assert.equal(drift.summary.missing, 0);
  const repaired = await herald.scheduler.reconcileUser("sdk-ada");
  assert.equal(repaired.reconcile.status, "synced");
  assert.equal((await herald.scheduler.health()).status, "ok");
  assert.equal((await herald.health()).status, "ok");
  assert.ok((await herald.scheduler.usersCount()).count >= 1);
  assert.ok(Array.isArray((await herald.scheduler.stats()).days));

  const stopped = await herald.scheduler.stop();
  assert.equal(stopped.operation.status, "done");
  assert.equal((await herald.scheduler.status()).running, false);
  const started = await herald.scheduler.start();
  assert.equal(started.operation.status, "done");
  const again = await herald.scheduler.operation(started.operation.id);
  assert.equal(again.operation.kind, "start");
  const restarted = await herald.scheduler.restart({ pageSize: "100" });
  assert.equal(restarted.operation.status, "done");
});

test("system jobs: define, list, run now, read the run, delete", async () => {
  const herald = admin();
  const created = await herald.jobs.put("sdk-stats", {
    name: "Stats",
    trigger: { type: "cron", cron: "0 0 * * *", timezone: "UTC" },
    target: { builtin: "stats", day: "today" },
  });
  assert.equal(created.job.id, "sdk-stats");
  assert.ok((await herald.jobs.list()).jobs.some((j) => j.id === "sdk-stats"));
  const { run } = await herald.jobs.trigger("sdk-stats");
  assert.equal(run.status, "succeeded");
  assert.equal(
    (await herald.jobs.run("sdk-stats", run.runId)).run.runId,
    run.runId,
  );
  assert.deepEqual(await herald.jobs.failures("sdk-stats", run.runId), {
    failures: [],
  });
  assert.equal((await herald.jobs.get("sdk-stats")).runs.length, 1);
  assert.deepEqual(await herald.jobs.delete("sdk-stats"), {
    deleted: "sdk-stats",
  });
  const gone = await refusal(herald.jobs.get("sdk-stats"));
  assert.equal(gone.code, "not_found");
});

test("the catalogue: make a type, use it, change it, delete it", async () => {
  const herald = admin();
  const made = await herald.types.create({
    id: "sdkVerse",
    label: "Verse",
    times: ["06:00"],
    template: { title: "Today's verse" },
  });
  assert.equal(made.type.version, 1);
  const saved = await herald.preferences.update("sdk-verse", {
    types: { sdkVerse: { times: ["06:30"] } },
  });
  assert.equal(saved.preferences.types.sdkVerse?.times[0], "06:30");
  const changed = await herald.types.update("sdkVerse", { severity: "high" });
  assert.equal(changed.type.version, 2);
  assert.equal(changed.operation, null, "severity moves nobody");
  assert.ok((await herald.types.list()).types.some((t) => t.id === "sdkVerse"));
  const deleted = await herald.types.delete("sdkVerse");
  assert.equal(deleted.deleted, "sdkVerse");
  assert.ok(deleted.operation);
  const gone = await refusal(herald.types.get("sdkVerse"));
  assert.equal(gone.code, "not_found");
});

suite.run();
