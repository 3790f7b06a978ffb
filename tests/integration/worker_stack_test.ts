import assert from "node:assert/strict";
import { z } from "zod";
import { signedDelivery } from "../support/deliveries.ts";
import { advanceClock, fireSchedule, qstashClient } from "../support/qstash.ts";
import { integrationSuite } from "../support/suite.ts";
import { errorBody, healthBody, read } from "../support/bodies.ts";
import { startTestStack } from "../support/test_stack.ts";

const suite = integrationSuite("the Worker on the local stack");
const { test } = suite;

test("GET /health reports libSQL, QStash and Redis reached, with latencies", async () => {
  const res = await fetch(`${suite.stack.url}/health`);
  assert.deepEqual(res.status, 200);
  const body = await read(res, healthBody);
  assert.deepEqual(body.status, "ok");
  for (const part of Object.values(body.checks)) {
    assert.deepEqual(part.ok, true);
    assert.ok(part.latencyMs >= 0);
  }
  assert.match(res.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
});

test("with Redis unreachable, health is degraded and then recovers", async () => {
  await suite.stack.standIns.faults.redis!.down();
  try {
    const res = await fetch(`${suite.stack.url}/health`);
    assert.deepEqual(res.status, 200);
    const body = await read(res, healthBody);
    assert.deepEqual(body.status, "degraded");
    assert.deepEqual(body.checks.redis.ok, false);
    assert.deepEqual(body.checks.libsql.ok, true);
  } finally {
    await suite.stack.standIns.faults.redis!.up();
  }
  const again = await read(
    await fetch(`${suite.stack.url}/health`),
    healthBody,
  );
  assert.deepEqual(again.status, "ok");
});

test("with QStash unreachable, health is down (503)", async () => {
  await suite.stack.standIns.faults.qstash.down();
  try {
    const res = await fetch(`${suite.stack.url}/health`);
    assert.deepEqual(res.status, 503);
    const body = await read(res, healthBody);
    assert.deepEqual(body.status, "down");
    assert.deepEqual(body.checks.qstash.ok, false);
  } finally {
    await suite.stack.standIns.faults.qstash.up();
  }
});

test("unknown routes get the error envelope", async () => {
  const res = await fetch(`${suite.stack.url}/nope`);
  assert.deepEqual(res.status, 404);
  const body = await read(res, errorBody);
  assert.deepEqual(body.error.code, "not_found");
  assert.deepEqual(typeof body.error.requestId, "string");
});

// The callback answers 200 only after the official Receiver accepted the
// signature; a bad one is a 401 (next case, and tests/integration/delivery_test).
test("a schedule fired by QStash passes the callback's signature check", async () => {
  const qstash = qstashClient(suite.stack);
  await qstash.schedules.create({
    scheduleId: "worker-probe",
    destination: `${suite.stack.url}/v1/qstash/callback`,
    cron: "0 0 1 1 *",
    body: JSON.stringify({
      kind: "user-schedule",
      userId: "nobody",
      type: "taskReminder",
      localTime: "09:00",
    }),
  });
  const fired = await fireSchedule(suite.stack, "worker-probe");
  assert.deepEqual(fired.status, 200);
  await qstash.schedules.delete("worker-probe");
});

test("a forged or tampered callback is refused with 401", async () => {
  const unsigned = await fetch(`${suite.stack.url}/v1/qstash/callback`, {
    method: "POST",
    body: "{}",
  });
  assert.deepEqual(unsigned.status, 401);
  await unsigned.body?.cancel();
  const forged = await fetch(`${suite.stack.url}/v1/qstash/callback`, {
    method: "POST",
    headers: { "upstash-signature": "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl" },
    body: "{}",
  });
  assert.deepEqual(forged.status, 401);
  await forged.body?.cancel();
});

test("Herald's clock follows the QStash dev clock, and only a signed announcement moves it", async () => {
  const checkedAt = async () =>
    Date.parse(
      (await read(
        await suite.stack.admin("/v1/realtime/status"),
        z.object({ checkedAt: z.string() }),
      )).checkedAt,
    );
  const before = await checkedAt();
  const week = 7 * 86_400_000;
  await advanceClock(suite.stack, week);
  const after = await checkedAt();
  // Real time passes too, but nowhere near a day of it.
  assert.ok(after - before >= week, `${after - before} ms later`);
  assert.ok(after - before < week + 86_400_000, `${after - before} ms later`);

  const clockUrl = `${suite.stack.url}/v1/dev/clock`;
  const body = JSON.stringify({ now: 0 });
  const forged = await fetch(clockUrl, {
    method: "POST",
    headers: {
      "upstash-signature": (await signedDelivery(suite.stack, body)).signature,
    },
    body,
  });
  // Signed for the callback URL, not for the clock: refused.
  assert.equal(forged.status, 401);
  await forged.body?.cancel();
  assert.ok(await checkedAt() >= after, "the clock did not move back");
});

suite.run();

Deno.test("a Worker missing configuration answers 503 naming the variable, not its value", async () => {
  const stack = await startTestStack({ vars: { JWT_SECRET: "" } });
  try {
    const res = await fetch(`${stack.url}/health`);
    assert.deepEqual(res.status, 503);
    const body = await read(res, errorBody);
    assert.deepEqual(body.error.code, "misconfigured");
    assert.match(body.error.message, /JWT_SECRET is missing/);
    assert.ok(!JSON.stringify(body).includes(stack.apiKey));
  } finally {
    await stack.close();
  }
});
