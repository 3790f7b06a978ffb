import { Client, QstashError, Receiver, SignatureError } from "@upstash/qstash";
import assert from "node:assert/strict";
import { z } from "zod";
import {
  DEV_QSTASH_CURRENT_SIGNING_KEY,
  DEV_QSTASH_NEXT_SIGNING_KEY,
  DEV_QSTASH_TOKEN,
} from "../credentials.ts";
import { startQStashDevServer } from "../server.ts";
import {
  at,
  clientFor,
  Destination,
  DevControls,
  withStack,
} from "./qstash_harness.ts";

/**
 * The QStash dev server, driven by the official @upstash/qstash Client and
 * Receiver (plain fetch only for the dev-only clock controls). Time-dependent
 * cases move the server's virtual clock instead of waiting.
 */
const receiver = new Receiver({
  currentSigningKey: DEV_QSTASH_CURRENT_SIGNING_KEY,
  nextSigningKey: DEV_QSTASH_NEXT_SIGNING_KEY,
});
const HOUR = 3_600_000;

function refusedWith(status: number, text?: RegExp) {
  return (error: unknown) =>
    error instanceof QstashError && error.status === status &&
    (text === undefined || text.test(error.message));
}

Deno.test("publish delivers the raw body, forwarded headers and QStash's own headers", async () => {
  await withStack(async ({ client, destination }) => {
    const url = destination.url("/hook?user=1&x=%20y");
    const { messageId } = await client.publish({
      url,
      body: "héllo, wörld",
      method: "PUT",
      headers: { "Content-Type": "text/plain", "X-Tenant": "acme" },
    });
    const [delivery] = await destination.waitFor(1);
    assert.ok(delivery);
    assert.equal(delivery.url, url);
    assert.equal(delivery.method, "PUT");
    assert.equal(delivery.body, "héllo, wörld");
    assert.equal(delivery.headers.get("content-type"), "text/plain");
    assert.equal(delivery.headers.get("x-tenant"), "acme");
    assert.equal(delivery.headers.get("user-agent"), "Upstash-QStash");
    assert.equal(delivery.headers.get("upstash-message-id"), messageId);
    assert.equal(delivery.headers.get("upstash-retried"), "0");
    assert.equal(delivery.headers.get("upstash-caller-ip"), "127.0.0.1");
    assert.equal(delivery.headers.get("upstash-schedule-id"), null);
    assert.match(messageId, /^msg_/);
  });
});

Deno.test("the official Receiver accepts the signature and rejects a tampered body or another url", async () => {
  await withStack(async ({ client, destination }) => {
    const url = destination.url("/webhook");
    await client.publishJSON({ url, body: { hello: "world" } });
    const [delivery] = await destination.waitFor(1);
    assert.ok(delivery);
    const signature = delivery.headers.get("upstash-signature") ?? "";
    assert.equal(
      await receiver.verify({ signature, body: delivery.body, url }),
      true,
    );
    await assert.rejects(
      receiver.verify({ signature, body: '{"hello":"world!"}', url }),
      SignatureError,
    );
    await assert.rejects(
      receiver.verify({
        signature,
        body: delivery.body,
        url: destination.url("/other"),
      }),
      SignatureError,
    );
  });
});

Deno.test("the SDK's devMode health check (GET /v2/keys) accepts the dev server", async () => {
  await withStack(async ({ server }) => {
    // devMode reads the port from the environment; tests in a file run one
    // at a time, and the previous value is restored.
    const previous = Deno.env.get("QSTASH_DEV_PORT");
    Deno.env.set("QSTASH_DEV_PORT", String(server.port));
    try {
      // Had /v2/keys not answered the dev keys, the SDK would try to
      // download and spawn its own binary and this call would fail.
      const client = new Client({ devMode: true, retry: false });
      assert.deepEqual(await client.schedules.list(), []);
    } finally {
      if (previous === undefined) Deno.env.delete("QSTASH_DEV_PORT");
      else Deno.env.set("QSTASH_DEV_PORT", previous);
    }
  });
});

Deno.test("a wrong token is refused with 401", async () => {
  await withStack(async ({ server }) => {
    await assert.rejects(
      clientFor(server, "not-the-token").schedules.list(),
      refusedWith(401),
    );
  });
});

Deno.test("a delayed message waits for the clock, is visible meanwhile, then is delivered", async () => {
  await withStack(async ({ client, destination, dev }) => {
    const start = await dev.now();
    const { messageId } = await client.publish({
      url: destination.url(),
      body: "later",
      delay: 3600,
    });
    const pending = await client.messages.get(messageId);
    assert.equal(pending.url, destination.url());
    assert.ok(Math.abs((pending.notBefore ?? 0) - (start + HOUR)) < 1_000);

    assert.deepEqual((await dev.advance(HOUR - 5_000)).delivered, []);
    assert.equal(destination.deliveries.length, 0);

    const { delivered } = await dev.advance(10_000);
    assert.deepEqual(delivered.map((d) => [d.messageId, d.status]), [[
      messageId,
      200,
    ]]);
    assert.equal(destination.deliveries[0]?.body, "later");
    await assert.rejects(client.messages.get(messageId), refusedWith(404));
  });
});

Deno.test("a clock follower is told each jump, signed, before anything is delivered at the new time", async () => {
  await withStack(async ({ client, destination, dev, server }) => {
    const follower = destination.url("/clock");
    const registered = await fetch(`${server.url}/v2/dev/clock/followers`, {
      method: "POST",
      headers: { authorization: `Bearer ${DEV_QSTASH_TOKEN}` },
      body: JSON.stringify({ url: follower }),
    });
    const { now: start } = z.object({ now: z.number() }).parse(
      await registered.json(),
    );
    assert.ok(Math.abs(start - await dev.now()) < 1_000);
    await client.publish({ url: destination.url(), body: "later", delay: 60 });

    const { delivered } = await dev.advance(HOUR);
    const [told, message, toldEnd] = destination.deliveries;
    assert.equal(delivered.length, 1);
    assert.equal(destination.deliveries.length, 3);
    // The follower hears of the message's instant before the message, then
    // of where the advance ends.
    assert.equal(told?.url, follower);
    assert.equal(JSON.parse(told?.body ?? "").now, delivered[0]?.at);
    assert.equal(message?.body, "later");
    assert.equal(toldEnd?.url, follower);
    const end = JSON.parse(toldEnd?.body ?? "").now;
    assert.ok(end > (delivered[0]?.at ?? Infinity));
    assert.ok(Math.abs(end - await dev.now()) < 1_000);
    assert.equal(
      await receiver.verify({
        signature: told?.headers.get("upstash-signature") ?? "",
        body: told?.body ?? "",
        url: follower,
      }),
      true,
    );
  });
});

Deno.test("a deduplication id answers 202 with the original id and delivers once", async () => {
  await withStack(async ({ client, destination, dev }) => {
    const request = {
      url: destination.url(),
      body: { n: 1 },
      delay: 60,
      deduplicationId: "user-1:digest:2025-07-01",
    };
    const first = await client.publishJSON(request);
    const second = await client.publishJSON(request);
    assert.equal(second.messageId, first.messageId);
    assert.equal(second.deduplicated, true);
    assert.equal(first.deduplicated, undefined);

    const byContent = {
      url: destination.url(),
      body: "same",
      delay: 60,
      contentBasedDeduplication: true,
    };
    const third = await client.publish(byContent);
    assert.equal((await client.publish(byContent)).messageId, third.messageId);

    const { delivered } = await dev.advance(61_000);
    assert.deepEqual(delivered.map((d) => d.messageId), [
      first.messageId,
      third.messageId,
    ]);
    assert.equal(destination.deliveries.length, 2);
  });
});

Deno.test("retries follow Upstash-Retry-Delay, count Upstash-Retried up, and each is an attempt in /v2/dev/stats", async () => {
  const reply = (_: unknown, index: number) =>
    new Response(index < 2 ? "not yet" : "ok", {
      status: index < 2 ? 500 : 200,
    });
  await withStack(async ({ client, destination, dev }) => {
    const { messageId } = await client.publish({
      url: destination.url(),
      body: "retry me",
      delay: 3600,
      retries: 3,
      retryDelay: "1000 * (retried + 1)",
    });
    const due = (await dev.now()) + HOUR;
    const { delivered } = await dev.advance(HOUR + 60_000);
    assert.deepEqual(
      delivered.map((d) => [d.messageId, d.status, d.retried, d.outcome]),
      [
        [messageId, 500, 0, "retrying"],
        [messageId, 500, 1, "retrying"],
        [messageId, 200, 2, "delivered"],
      ],
    );
    const [first, second, third] = delivered.map((d) => d.at);
    assert.ok(Math.abs((first ?? 0) - due) < 1_000);
    assert.equal((second ?? 0) - (first ?? 0), 1_000);
    assert.equal((third ?? 0) - (second ?? 0), 2_000);
    assert.deepEqual(
      destination.deliveries.map((d) => d.headers.get("upstash-retried")),
      ["0", "1", "2"],
    );
    // Every attempt counts, as QStash bills each retry.
    assert.deepEqual(await dev.stats(), { attempts: 3, pending: 0 });
  }, { reply });
});

Deno.test("retry delay expressions can use every documented function", async () => {
  const reply = (_: unknown, index: number) =>
    new Response("", { status: index === 0 ? 500 : 200 });
  await withStack(async ({ client, dev, destination }) => {
    await client.publish({
      url: destination.url(),
      body: "x",
      delay: 3600,
      // 1000·2^retried, then +4 −4 +0 +1 −0 −1: 1 s before the first retry.
      retryDelay:
        "max(100, min(60000, pow(2, retried) * 1000 + sqrt(16) - abs(-4) + floor(0.5) + ceil(0.2) - round(0.4) - exp(0)))",
    });
    const { delivered } = await dev.advance(HOUR + 60_000);
    assert.deepEqual(delivered.map((d) => d.status), [500, 200]);
    assert.equal((delivered[1]?.at ?? 0) - (delivered[0]?.at ?? 0), 1_000);
  }, { reply });
});

Deno.test("a Retry-After from the destination wins; without it QStash's backoff applies", async () => {
  const reply = (_: unknown, index: number) =>
    index === 0
      ? new Response("busy", { status: 429, headers: { "Retry-After": "30" } })
      : new Response("down", { status: 503 });
  await withStack(async ({ client, destination, dev }) => {
    await client.publish({
      url: destination.url(),
      body: "x",
      delay: 3600,
      retries: 2,
    });
    const { delivered } = await dev.advance(HOUR + 600_000);
    const times = delivered.map((d) => d.at);
    assert.equal(times.length, 3);
    assert.equal((times[1] ?? 0) - (times[0] ?? 0), 30_000);
    // Default backoff after the second failure: e^(2.5·2) s.
    assert.equal(
      (times[2] ?? 0) - (times[1] ?? 0),
      Math.round(Math.exp(5) * 1_000),
    );
    assert.equal(delivered[2]?.outcome, "dead");
    assert.equal(destination.deliveries.length, 3);
  }, { reply });
});

Deno.test("a message that runs out of retries lands in the DLQ, which the client lists, retries and deletes", async () => {
  const reply = () =>
    new Response("boom", { status: 500, headers: { "X-Reason": "db down" } });
  await withStack(async ({ client, destination, dev }) => {
    const { messageId } = await client.publish({
      url: destination.url(),
      body: "doomed",
      delay: 3600,
      retries: 1,
      // A minute: far longer than the test takes in real time, so the retry
      // below is due only when the clock is advanced, never on its own.
      retryDelay: "60000",
    });
    const { delivered } = await dev.advance(HOUR + 120_000);
    assert.deepEqual(delivered.map((d) => d.outcome), ["retrying", "dead"]);

    const { messages } = await client.dlq.listMessages();
    assert.equal(messages.length, 1);
    const [dead] = messages;
    assert.ok(dead);
    assert.equal(dead.messageId, messageId);
    assert.equal(dead.url, destination.url());
    assert.equal(dead.body, "doomed");
    assert.equal(dead.responseStatus, 500);
    assert.equal(dead.responseBody, "boom");
    assert.deepEqual(dead.responseHeader?.["X-Reason"], ["db down"]);

    const retried = await client.dlq.retry([dead.dlqId]);
    assert.equal(retried.responses.length, 1);
    assert.equal((await client.dlq.listMessages()).messages.length, 0);
    // A retried message is due at once, like any new one: the real-time loop
    // delivers its first attempt, and its retry waits for the clock.
    const [, , firstAgain] = await destination.waitFor(3);
    assert.equal(
      firstAgain?.headers.get("upstash-message-id"),
      retried.responses[0]?.messageId,
    );
    const again = await dev.advance(120_000);
    assert.deepEqual(
      again.delivered.map((d) => [d.messageId, d.retried, d.outcome]),
      [[retried.responses[0]?.messageId, 1, "dead"]],
    );

    const [back] = (await client.dlq.listMessages()).messages;
    assert.ok(back);
    assert.deepEqual(await client.dlq.delete(back.dlqId), { deleted: 1 });
    assert.deepEqual((await client.dlq.listMessages()).messages, []);
    await assert.rejects(client.dlq.delete(back.dlqId), refusedWith(404));
  }, { reply });
});

Deno.test("cancelled messages are never delivered", async () => {
  await withStack(async ({ client, destination, dev }) => {
    const publish = (body: string) =>
      client.publish({ url: destination.url(), body, delay: 600 });
    const [a, b, c] = await Promise.all([
      publish("a"),
      publish("b"),
      publish("c"),
    ]);
    assert.deepEqual(await client.messages.cancel(a.messageId), {
      cancelled: 1,
    });
    assert.deepEqual(await client.messages.cancel([b.messageId]), {
      cancelled: 1,
    });
    await assert.rejects(client.messages.cancel(a.messageId), refusedWith(404));
    const { delivered } = await dev.advance(601_000);
    assert.deepEqual(delivered.map((d) => d.messageId), [c.messageId]);
    assert.deepEqual(destination.deliveries.map((d) => d.body), ["c"]);
  });
});

Deno.test("batch publishes every message with its own options", async () => {
  await withStack(async ({ client, destination, dev }) => {
    const results = await client.batchJSON([
      { url: destination.url("/a"), body: { n: 1 }, delay: 10 },
      {
        url: destination.url("/b"),
        body: { n: 2 },
        delay: 20,
        headers: { "X-Kind": "b" },
      },
      {
        url: destination.url("/c"),
        body: { n: 3 },
        delay: 30,
        method: "PATCH",
      },
    ]);
    assert.equal(results.length, 3);
    const { delivered } = await dev.advance(31_000);
    assert.deepEqual(
      delivered.map((d) => d.messageId),
      results.map((r) => r.messageId),
    );
    assert.deepEqual(
      destination.deliveries.map((
        d,
      ) => [new URL(d.url).pathname, d.method, d.body]),
      [["/a", "POST", '{"n":1}'], ["/b", "POST", '{"n":2}'], [
        "/c",
        "PATCH",
        '{"n":3}',
      ]],
    );
    assert.equal(destination.deliveries[1]?.headers.get("x-kind"), "b");
  });
});

Deno.test("flow control keeps at most `parallelism` deliveries of one key in flight", async () => {
  let inFlight = 0;
  let peak = 0;
  // Limited deliveries are held until two are in flight at once and the
  // unlimited one has arrived beside them; then everything is let through.
  const twoInFlight = Promise.withResolvers<void>();
  const freeArrived = Promise.withResolvers<void>();
  const release = Promise.withResolvers<void>();
  const reply = async (delivery: { url: string }) => {
    if (delivery.url.endsWith("/free")) freeArrived.resolve();
    if (!delivery.url.endsWith("/limited")) return new Response("ok");
    inFlight++;
    peak = Math.max(peak, inFlight);
    if (inFlight === 2) twoInFlight.resolve();
    await release.promise;
    inFlight--;
    return new Response("ok");
  };
  await withStack(async ({ client, destination }) => {
    const limited = Array.from({ length: 12 }, (_, i) => ({
      url: destination.url("/limited"),
      body: { i },
      flowControl: { key: "herald-test", parallelism: 2 },
    }));
    await client.batchJSON([
      ...limited,
      { url: destination.url("/free"), body: { free: true } },
    ]);
    // The message without a key is not queued behind the held ones.
    await Promise.all([twoInFlight.promise, freeArrived.promise]);
    assert.equal(inFlight, 2);
    release.resolve();
    await destination.waitFor(13);
    assert.equal(peak, 2);
  }, { reply });
});

Deno.test("a flow-control value without parallelism or rate is refused", async () => {
  await withStack(async ({ server, destination }) => {
    const res = await fetch(`${server.url}/v2/publish/${destination.url()}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${DEV_QSTASH_TOKEN}`,
        "upstash-flow-control-key": "k",
        "upstash-flow-control-value": "period=1s",
      },
      body: "x",
    });
    assert.equal(res.status, 400);
    await res.body?.cancel();
  });
});

Deno.test("batch and publish refuse bad input with 400", async () => {
  await withStack(async ({ client, destination }) => {
    await assert.rejects(
      client.batch([{ url: destination.url(), body: "ok" }, {
        url: "not a url",
        body: "bad",
      }]),
      refusedWith(400, /invalid destination/),
    );
    await assert.rejects(
      client.publish({
        url: destination.url(),
        body: "x",
        retryDelay: "eval(1)",
      }),
      refusedWith(400, /Retry-Delay/),
    );
    await assert.rejects(client.urlGroups.list(), refusedWith(404));
    assert.equal(destination.deliveries.length, 0);
  });
});

Deno.test("schedules are created, upserted by id, listed, paused, resumed, fired and deleted", async () => {
  await withStack(async ({ client, destination, dev }) => {
    await dev.set("2025-06-02T00:00:00Z");
    const scheduleId = "digest.user-1_morning";
    const created = await client.schedules.create({
      destination: destination.url("/digest"),
      cron: "0 9 * * *",
      scheduleId,
      body: '{"type":"digest"}',
      retries: 2,
    });
    assert.deepEqual(created, { scheduleId });
    const first = await client.schedules.get(scheduleId);
    assert.equal(first.cron, "0 9 * * *");
    assert.equal(first.destination, destination.url("/digest"));
    assert.equal(first.method, "POST");
    assert.equal(first.retries, 2);
    assert.equal(first.body, '{"type":"digest"}');
    assert.equal(first.isPaused, false);
    assert.equal(first.nextScheduleTime, at("2025-06-02T09:00:00Z"));

    await client.schedules.create({
      destination: destination.url("/digest"),
      cron: "30 10 * * *",
      scheduleId,
      body: '{"type":"digest"}',
    });
    const list = await client.schedules.list();
    assert.deepEqual(list.map((s) => [s.scheduleId, s.cron]), [[
      scheduleId,
      "30 10 * * *",
    ]]);

    await client.schedules.pause({ schedule: scheduleId });
    assert.equal((await client.schedules.get(scheduleId)).isPaused, true);
    assert.deepEqual((await dev.advance(24 * HOUR)).delivered, []);

    await client.schedules.resume({ schedule: scheduleId });
    assert.equal((await client.schedules.get(scheduleId)).isPaused, false);
    const { delivered } = await dev.set("2025-06-04T00:00:00Z");
    assert.deepEqual(delivered.map((d) => [d.scheduleId, d.at]), [[
      scheduleId,
      at("2025-06-03T10:30:00Z"),
    ]]);
    const fired = destination.deliveries[0];
    assert.equal(fired?.headers.get("upstash-schedule-id"), scheduleId);
    assert.equal(fired?.body, '{"type":"digest"}');
    const afterFiring = await client.schedules.get(scheduleId);
    assert.equal(afterFiring.lastScheduleTime, at("2025-06-03T10:30:00Z"));
    assert.equal(afterFiring.nextScheduleTime, at("2025-06-04T10:30:00Z"));

    const manual = await dev.fire(scheduleId);
    assert.equal(manual.status, 200);
    assert.equal(
      destination.deliveries[1]?.headers.get("upstash-message-id"),
      manual.messageId,
    );

    await client.schedules.delete(scheduleId);
    assert.deepEqual(await client.schedules.list(), []);
    await assert.rejects(client.schedules.get(scheduleId), refusedWith(404));
  });
});

Deno.test("schedule errors: bad cron, bad zone, bad id, unknown id", async () => {
  await withStack(async ({ client, destination }) => {
    const destinationUrl = destination.url();
    await assert.rejects(
      client.schedules.create({
        destination: destinationUrl,
        cron: "61 * * * *",
      }),
      refusedWith(400, /cron/),
    );
    await assert.rejects(
      client.schedules.create({
        destination: destinationUrl,
        cron: "0 9 * * * *",
      }),
      refusedWith(400, /cron/),
    );
    await assert.rejects(
      client.schedules.create({
        destination: destinationUrl,
        cron: "CRON_TZ=Mars/Olympus 0 9 * * *",
      }),
      refusedWith(400, /timezone/),
    );
    await assert.rejects(
      client.schedules.create({
        destination: destinationUrl,
        cron: "0 9 * * *",
        scheduleId: "user 1/digest",
      }),
      refusedWith(400, /schedule id/),
    );
    await assert.rejects(client.schedules.get("missing"), refusedWith(404));
    await assert.rejects(
      client.schedules.pause({ schedule: "missing" }),
      refusedWith(404),
    );
    await assert.rejects(client.schedules.delete("missing"), refusedWith(404));
    assert.deepEqual(await client.schedules.list(), []);
  });
});

Deno.test("CRON_TZ=Europe/Paris 30 9 fires at 09:30 Paris time on both sides of the spring-forward", async () => {
  await withStack(async ({ client, destination, dev }) => {
    await dev.set("2025-03-29T00:00:00Z");
    await client.schedules.create({
      destination: destination.url(),
      cron: "CRON_TZ=Europe/Paris 30 9 * * *",
    });
    const { delivered } = await dev.set("2025-03-31T00:00:00Z");
    assert.deepEqual(delivered.map((d) => d.at), [
      at("2025-03-29T08:30:00Z"), // CET, UTC+1
      at("2025-03-30T07:30:00Z"), // CEST, UTC+2
    ]);
    await dev.set("2025-07-14T00:00:00Z");
    const [schedule] = await client.schedules.list();
    assert.equal(schedule?.nextScheduleTime, at("2025-07-14T07:30:00Z"));
  });
});

Deno.test("America/New_York: 02:30 does not fire on the spring-forward date, 01:30 fires once on the fall-back date", async () => {
  await withStack(async ({ client, destination, dev }) => {
    await dev.set("2025-03-08T12:00:00Z");
    const gap = await client.schedules.create({
      destination: destination.url("/gap"),
      cron: "CRON_TZ=America/New_York 30 2 * * *",
    });
    const springForward = await dev.set("2025-03-11T12:00:00Z");
    assert.deepEqual(springForward.delivered.map((d) => [d.scheduleId, d.at]), [
      [gap.scheduleId, at("2025-03-10T06:30:00Z")],
      [gap.scheduleId, at("2025-03-11T06:30:00Z")],
    ]);
    await client.schedules.delete(gap.scheduleId);

    await dev.set("2025-11-01T18:00:00Z");
    const fixed = await client.schedules.create({
      destination: destination.url("/fixed"),
      cron: "CRON_TZ=America/New_York 30 1 * * *",
    });
    const listed = await client.schedules.create({
      destination: destination.url("/list"),
      cron: "CRON_TZ=America/New_York 30 1,13 * * *",
    });
    const fallBack = await dev.set("2025-11-02T12:00:00Z");
    assert.deepEqual(fallBack.delivered.map((d) => [d.scheduleId, d.at]), [
      [fixed.scheduleId, at("2025-11-02T05:30:00Z")], // 01:30 EDT; not again at 01:30 EST
      [listed.scheduleId, at("2025-11-02T05:30:00Z")],
    ]);
    await client.schedules.delete(fixed.scheduleId);
    await client.schedules.delete(listed.scheduleId);

    // An every-hour pattern keeps its rhythm through the repeated hour.
    await dev.set("2025-11-02T04:30:00Z");
    const hourly = await client.schedules.create({
      destination: destination.url("/hourly"),
      cron: "CRON_TZ=America/New_York 0 * * * *",
    });
    const repeatedHour = await dev.set("2025-11-02T07:30:00Z");
    assert.deepEqual(repeatedHour.delivered.map((d) => [d.scheduleId, d.at]), [
      [hourly.scheduleId, at("2025-11-02T05:00:00Z")], // 01:00 EDT
      [hourly.scheduleId, at("2025-11-02T06:00:00Z")], // 01:00 EST
      [hourly.scheduleId, at("2025-11-02T07:00:00Z")], // 02:00 EST
    ]);
  });
});

Deno.test("schedules, pending messages, dead letters, dedup ids and the clock survive a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "qstash-dev-" });
  const stateFile = `${dir}/nested/qstash.json`;
  const destination = new Destination((_, index) =>
    new Response("", { status: index === 0 ? 500 : 200 })
  );
  try {
    const first = await startQStashDevServer({ port: 0, stateFile });
    const before = clientFor(first);
    const dev = new DevControls(first.url);
    await dev.set("2025-06-02T00:00:00Z");
    await before.publish({
      url: destination.url("/dead"),
      body: "x",
      retries: 0,
      delay: 1,
    });
    await dev.advance(2_000);
    await before.schedules.create({
      destination: destination.url("/s"),
      cron: "0 9 * * *",
      scheduleId: "kept",
    });
    const pending = await before.publish({
      url: destination.url("/later"),
      body: "later",
      delay: 3600,
      deduplicationId: "once",
    });
    const clockBefore = await dev.now();
    await first.close();

    const second = await startQStashDevServer({ port: 0, stateFile });
    try {
      const after = clientFor(second);
      const devAfter = new DevControls(second.url);
      const clockAfter = await devAfter.now();
      assert.ok(clockAfter >= clockBefore && clockAfter - clockBefore < 60_000);
      assert.equal(
        (await after.schedules.get("kept")).nextScheduleTime,
        at("2025-06-02T09:00:00Z"),
      );
      assert.equal((await after.messages.get(pending.messageId)).body, "later");
      assert.equal(
        (await after.dlq.listMessages()).messages[0]?.url,
        destination.url("/dead"),
      );
      const again = await after.publish({
        url: destination.url("/later"),
        body: "later",
        deduplicationId: "once",
      });
      assert.equal(again.messageId, pending.messageId);
      const { delivered } = await devAfter.advance(HOUR);
      assert.deepEqual(delivered.map((d) => d.messageId), [pending.messageId]);
    } finally {
      await second.close();
    }
  } finally {
    await destination.close();
    await Deno.remove(dir, { recursive: true });
  }
});
