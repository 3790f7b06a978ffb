import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { z } from "zod";
import { eventually } from "@herald/testing";
import { read } from "../support/bodies.ts";
import { heraldNow } from "../support/placement.ts";
import { advanceClock, qstashDrained } from "../support/qstash.ts";
import {
  expireAtStandIn,
  standInSubscription,
} from "../support/push_standin.ts";
import { SseStream } from "../support/sse.ts";
import { integrationSuite } from "../support/suite.ts";

// The host app's receiver on loopback: every call recorded, answered as
// the endpoint's script says (then 200).
interface Call {
  name: string;
  raw: string;
  headers: Record<string, string>;
}
const calls: Call[] = [];
const scripts = new Map<string, number[]>();
const receiver = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen() {} },
  async (req) => {
    const name = new URL(req.url).pathname.slice(1);
    const raw = await req.text();
    calls.push({ name, raw, headers: Object.fromEntries(req.headers) });
    const status = scripts.get(name)?.shift() ?? 200;
    return status === 200
      ? Response.json({ ok: true })
      : new Response("no", { status });
  },
);
const urlOf = (name: string) =>
  `http://127.0.0.1:${receiver.addr.port}/${name}`;

const suite = integrationSuite("event webhooks");
suite.onClose(() => receiver.shutdown());
const { test } = suite;

const endpointView = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  enabled: z.boolean(),
  disabledReason: z.string().nullable(),
  previousSecretUntil: z.string().nullable(),
});
const withSecret = endpointView.extend({ secret: z.string() });
const payload = z.object({
  type: z.string(),
  timestamp: z.string(),
  data: z.record(z.string(), z.unknown()),
});

function json(method: string, body?: unknown): RequestInit {
  return {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  };
}

async function endpoint(name: string, events: string[]) {
  const res = await suite.stack.admin(
    "/v1/webhooks",
    json("POST", { url: urlOf(name), events }),
  );
  assert.equal(res.status, 201, await res.clone().text());
  return await read(res, withSecret);
}

async function sendTest(id: string) {
  const res = await suite.stack.admin(`/v1/webhooks/${id}/test`, {
    method: "POST",
  });
  assert.equal(res.status, 202, await res.clone().text());
  await res.body?.cancel();
}

/** Puts an hourly job with this target, triggers it: the run's id. */
async function putAndTrigger(id: string, target: unknown): Promise<string> {
  const job = await suite.stack.admin(
    `/v1/scheduler/jobs/${id}`,
    json("PUT", {
      name: id,
      trigger: { type: "interval", every: "1h" },
      target,
    }),
  );
  assert.ok(job.ok, await job.clone().text());
  await job.body?.cancel();
  const run = await suite.stack.admin(`/v1/scheduler/jobs/${id}/trigger`, {
    method: "POST",
  });
  assert.equal(run.status, 200, await run.clone().text());
  return z.object({ run: z.object({ runId: z.string() }) }).parse(
    await run.json(),
  ).run.runId;
}

const callsTo = (name: string) => calls.filter((c) => c.name === name);
const reached = (name: string, n: number) =>
  Promise.resolve(callsTo(name).length >= n ? true : null);

/** Every call to `name`, verified by the official library, parsed. */
function verified(name: string, secret: string) {
  return callsTo(name).map((c) =>
    payload.parse(new Webhook(secret).verify(c.raw, c.headers))
  );
}

test("an endpoint is refused for an unknown event, a non-https or a private URL, and needs the admin key", async () => {
  for (
    const body of [
      { url: urlOf("x"), events: ["notification.opened"] },
      { url: "http://hooks.example.com/h", events: ["*"] },
      { url: "https://10.0.0.7/h", events: ["*"] },
      { url: "https://169.254.169.254/latest", events: ["*"] },
    ]
  ) {
    const res = await suite.stack.admin("/v1/webhooks", json("POST", body));
    assert.equal(res.status, 400, JSON.stringify(body));
    await res.body?.cancel();
  }
  const anon = await fetch(`${suite.stack.url}/v1/webhooks`);
  assert.equal(anon.status, 401);
  await anon.body?.cancel();
  const made = await endpoint("listed", ["schedule.sent"]);
  assert.match(made.secret, /^whsec_/);
  const res = await suite.stack.admin(`/v1/webhooks/${made.id}`);
  const text = await res.text();
  assert.ok(!text.includes(made.secret), "the secret is shown once");
  const gone = await suite.stack.admin(`/v1/webhooks/${made.id}`, {
    method: "DELETE",
  });
  assert.equal(gone.status, 200);
  await gone.body?.cancel();
});

test("each event arrives once per endpoint whose filter asks for it, verified, numbered and free of secrets", async () => {
  const all = await endpoint("all", ["*"]);
  const reads = await endpoint("reads", ["notification.read"]);
  const prefs = await endpoint("prefs", [
    "preferences.updated",
    "job.run.completed",
  ]);
  const user = "wh-ada";
  const sent = await suite.stack.admin(
    "/v1/notifications",
    json("POST", { userId: user, type: "orders.new", title: "Hi" }),
  );
  assert.equal(sent.status, 201);
  const { notification } = z.object({
    notification: z.object({ id: z.string() }),
  })
    .parse(await sent.json());
  const readRes = await suite.stack.admin(
    `/v1/users/${user}/notifications/${notification.id}/read`,
    { method: "POST" },
  );
  assert.equal(readRes.status, 200, await readRes.clone().text());
  await readRes.body?.cancel();
  const put = await suite.stack.admin(
    `/v1/users/${user}/preferences`,
    json("PATCH", { timezone: "Europe/Paris" }),
  );
  assert.equal(put.status, 200, await put.clone().text());
  await put.body?.cancel();
  await putAndTrigger("wh-host", { webhook: urlOf("jobhost") });
  await sendTest(reads.id);

  const allTypes = [
    "notification.created",
    "notification.delivered",
    "notification.read",
    "preferences.updated",
    "job.run.completed",
  ];
  await eventually(
    "every delivery to land",
    () =>
      Promise.resolve(
        callsTo("all").length >= allTypes.length &&
          callsTo("reads").length >= 2 && callsTo("prefs").length >= 2
          ? true
          : null,
      ),
  );
  await qstashDrained(suite.stack);
  const byType = (events: { type: string }[]) =>
    events.map((e) => e.type).sort();
  const toAll = verified("all", all.secret);
  assert.deepEqual(byType(toAll), [...allTypes].sort());
  assert.deepEqual(byType(verified("reads", reads.secret)), [
    "notification.read",
    "webhook.test",
  ]);
  assert.deepEqual(byType(verified("prefs", prefs.secret)), [
    "job.run.completed",
    "preferences.updated",
  ]);
  // One endpoint's events are numbered 1, 2, … whatever order they came in.
  assert.deepEqual(
    toAll.map((e) => e.data.sequence).sort((a, b) => Number(a) - Number(b)),
    [1, 2, 3, 4, 5],
  );
  const read = toAll.find((e) => e.type === "notification.read");
  assert.deepEqual(read?.data, {
    userId: user,
    notificationId: notification.id,
    all: false,
    sequence: read?.data.sequence,
  });
  // Nothing an event carries is a secret or a token.
  const secrets = [
    all.secret,
    reads.secret,
    prefs.secret,
    suite.stack.apiKey,
    suite.stack.jwtSecret,
  ];
  for (const call of calls) {
    for (const secret of secrets) assert.ok(!call.raw.includes(secret));
    assert.ok(!call.raw.includes("whsec_"));
  }
  for (const e of [all, reads, prefs]) {
    const res = await suite.stack.admin(`/v1/webhooks/${e.id}`, {
      method: "DELETE",
    });
    await res.body?.cancel();
  }
});

test("push.subscription.removed says why — 404, 410, replaced, expired — with the endpoint's origin, never its path or keys", async () => {
  const { stack } = suite;
  const made = await endpoint("removed", ["push.subscription.removed"]);
  const put = async (userId: string, body: Record<string, unknown>) => {
    const res = await stack.admin(
      `/v1/users/${userId}/push-subscriptions`,
      json("PUT", body),
    );
    assert.equal(res.status, 200, await res.clone().text());
    await res.body?.cancel();
  };
  const subs = [];
  // A device the push service forgot (410), and one it never knew (404).
  const gone = await standInSubscription(stack);
  await expireAtStandIn(stack, gone.endpoint);
  await put("wh-pa", { ...gone, label: "Old phone" });
  const keysOf = await standInSubscription(stack);
  const unknown = {
    ...keysOf,
    endpoint: `${stack.standIns.pushUrl}/push/never-issued`,
  };
  await put("wh-pa", unknown);
  subs.push(gone, keysOf);
  const sent = await stack.admin(
    "/v1/notifications",
    json("POST", {
      userId: "wh-pa",
      type: "orders.new",
      title: "Hi",
      push: "always",
    }),
  );
  assert.equal(sent.status, 201, await sent.clone().text());
  await sent.body?.cancel();
  // A rotation (oldEndpoint) replaces a device, and so does a 21st.
  const before = await standInSubscription(stack);
  const after = await standInSubscription(stack);
  await put("wh-pb", { ...before, label: "Rotated" });
  await put("wh-pb", { ...after, oldEndpoint: before.endpoint });
  subs.push(before, after);
  for (let i = 0; i < 21; i++) {
    const sub = await standInSubscription(stack);
    subs.push(sub);
    await put("wh-pc", { ...sub, label: `device ${i}` });
  }
  // One the browser said expires: the cron sweep's.
  const expiring = await standInSubscription(stack);
  subs.push(expiring);
  await put("wh-pd", { ...expiring, expirationTime: Date.now() - 1000 });
  await stack.runCron();

  await eventually("five removals told", () => reached("removed", 5));
  await qstashDrained(stack);
  const origin = new URL(stack.standIns.pushUrl).origin;
  const told = verified("removed", made.secret).map((e) => {
    assert.equal(e.type, "push.subscription.removed");
    const data = z.object({
      userId: z.string(),
      endpointOrigin: z.string(),
      label: z.string().nullable(),
      reason: z.enum(["404", "410", "expired", "replaced"]),
      sequence: z.number(),
    }).parse(e.data);
    assert.equal(data.endpointOrigin, origin);
    return [data.userId, data.reason, data.label];
  }).sort((a, b) => String(a).localeCompare(String(b)));
  assert.deepEqual(told, [
    ["wh-pa", "404", null],
    ["wh-pa", "410", "Old phone"],
    ["wh-pb", "replaced", "Rotated"],
    ["wh-pc", "replaced", "device 0"],
    ["wh-pd", "expired", null],
  ]);
  for (const call of callsTo("removed")) {
    for (const sub of [...subs, unknown]) {
      assert.ok(!call.raw.includes(new URL(sub.endpoint).pathname));
      assert.ok(!call.raw.includes(sub.keys.p256dh));
      assert.ok(!call.raw.includes(sub.keys.auth));
    }
  }
});

test("notification.delivered counts the live connections and the pushes queued, a role broadcast's once its member pages are done", async () => {
  const { stack } = suite;
  const made = await endpoint("delivered", ["notification.delivered"]);
  const put = async (userId: string) => {
    const sub = await standInSubscription(stack);
    const res = await stack.admin(
      `/v1/users/${userId}/push-subscriptions`,
      json("PUT", sub),
    );
    assert.equal(res.status, 200, await res.clone().text());
    await res.body?.cancel();
  };
  const send = async (body: Record<string, unknown>) => {
    const res = await stack.admin(
      "/v1/notifications",
      json("POST", { type: "orders.new", title: "Hi", ...body }),
    );
    assert.equal(res.status, 201, await res.clone().text());
    return (await read(
      res,
      z.object({ notification: z.object({ id: z.string() }) }),
    )).notification.id;
  };
  await put("wh-dl");
  await put("wh-dm");
  // The member is known: their token named the role on an inbox read.
  const inbox = await fetch(`${stack.url}/v1/users/wh-dm/notifications`, {
    headers: {
      authorization: `Bearer ${await stack.userToken("wh-dm", ["wh-crew"])}`,
    },
  });
  assert.equal(inbox.status, 200);
  await inbox.body?.cancel();
  // Another user's stream: wh-dl stays offline throughout.
  const stream = await SseStream.open(`${stack.url}/v1/stream`, {
    headers: { authorization: `Bearer ${await stack.userToken("wh-dk")}` },
  });
  try {
    assert.equal((await stream.next()).event, "connected");
    const seenLive = await send({ userId: "wh-dk", push: "always" });
    await stream.until("notification");
    const pushed = await send({ userId: "wh-dl", push: "always" });
    const quiet = await send({ userId: "wh-dl" });
    const role = await send({ roles: ["wh-crew"], push: "offline" });
    // One notification for two users: one event, their pushes summed.
    const both = await send({ userIds: ["wh-dl", "wh-dm"], push: "always" });
    await eventually("five delivered events", () => reached("delivered", 5));
    await qstashDrained(stack);
    assert.equal(callsTo("delivered").length, 5);
    const channels = new Map(
      verified("delivered", made.secret).map((e) => [
        e.data.notificationId,
        e.data.channels,
      ]),
    );
    // wh-dk has no device: live, and no push to queue.
    assert.deepEqual(channels.get(seenLive), { live: 1, push: 0 });
    assert.deepEqual(channels.get(pushed), { live: 0, push: 1 });
    assert.deepEqual(channels.get(quiet), { live: 0, push: 0 });
    assert.deepEqual(channels.get(role), { live: 0, push: 1 });
    assert.deepEqual(channels.get(both), { live: 0, push: 2 });
  } finally {
    await stream.close();
  }
});

test("a fan-out run sends one job.run.completed, once its last page is out", async () => {
  const done = await endpoint("fanout-done", ["job.run.completed"]);
  const users = ["wh-fan-1", "wh-fan-2", "wh-fan-3"];
  for (const user of users) {
    const res = await suite.stack.admin(
      `/v1/users/${user}/preferences`,
      json("PATCH", { timezone: "UTC" }),
    );
    assert.equal(res.status, 200, await res.clone().text());
    await res.body?.cancel();
  }
  const runId = await putAndTrigger("wh-fanout", {
    builtin: "fanout",
    type: "morningDigest",
    title: "Hello {{userId}}",
    pageSize: 1,
  });
  await eventually("the run's event", () => reached("fanout-done", 1));
  await qstashDrained(suite.stack);
  const events = verified("fanout-done", done.secret);
  assert.equal(events.length, 1, "one event however many pages");
  const data = z.object({
    jobId: z.string(),
    runId: z.string(),
    pages: z.number(),
    published: z.number(),
  }).parse(events[0]?.data);
  assert.equal(data.jobId, "wh-fanout");
  assert.equal(data.runId, runId);
  // One user a page: at least the three seeded here, and no page more.
  assert.ok(data.published >= users.length, JSON.stringify(data));
  assert.equal(data.pages, data.published, JSON.stringify(data));
});

test("an endpoint answering 500 twice then 200 gets three attempts with one webhook-id", async () => {
  scripts.set("flaky", [500, 500]);
  const flaky = await endpoint("flaky", ["webhook.test"]);
  await sendTest(flaky.id);
  await eventually(
    "the first attempt",
    () => reached("flaky", 1),
  );
  await advanceClock(suite.stack, 10_000);
  await eventually(
    "the second attempt",
    () => reached("flaky", 2),
  );
  await advanceClock(suite.stack, 60_000);
  await eventually(
    "the third attempt",
    () => reached("flaky", 3),
  );
  await qstashDrained(suite.stack);
  const attempts = callsTo("flaky");
  assert.equal(attempts.length, 3);
  assert.equal(new Set(attempts.map((a) => a.headers["webhook-id"])).size, 1);
  assert.equal(verified("flaky", flaky.secret).length, 3);
  const log = z.object({
    deliveries: z.array(z.object({
      attempt: z.number(),
      status: z.string(),
      responseStatus: z.number().nullable(),
      nextRetryAt: z.string().nullable(),
    })),
  }).parse(
    await (await suite.stack.admin(`/v1/webhooks/${flaky.id}/deliveries`))
      .json(),
  );
  assert.deepEqual(
    log.deliveries.map((
      d,
    ) => [d.attempt, d.status, d.responseStatus, d.nextRetryAt !== null]),
    [[3, "delivered", 200, false], [2, "failed", 500, true], [
      1,
      "failed",
      500,
      true,
    ]],
  );
});

test("a 410 disables the endpoint at once; PATCH enables it again", async () => {
  scripts.set("gone", [410]);
  const gone = await endpoint("gone", ["webhook.test"]);
  await sendTest(gone.id);
  await eventually("the endpoint to be disabled", async () => {
    const view = await read(
      await suite.stack.admin(`/v1/webhooks/${gone.id}`),
      endpointView,
    );
    return view.enabled ? null : view;
  }).then((view) => assert.equal(view.disabledReason, "gone"));
  await qstashDrained(suite.stack);
  assert.equal(callsTo("gone").length, 1, "no retry after a 410");
  const refused = await suite.stack.admin(`/v1/webhooks/${gone.id}/test`, {
    method: "POST",
  });
  assert.equal(refused.status, 409);
  await refused.body?.cancel();
  const back = await read(
    await suite.stack.admin(
      `/v1/webhooks/${gone.id}`,
      json("PATCH", { enabled: true }),
    ),
    endpointView,
  );
  assert.equal(back.enabled, true);
  assert.equal(back.disabledReason, null);
});

test("after a rotation either secret verifies for 24 hours, then only the new one", async () => {
  const rot = await endpoint("rot", ["webhook.test"]);
  const res = await suite.stack.admin(`/v1/webhooks/${rot.id}/rotate-secret`, {
    method: "POST",
  });
  const rotated = await read(res, withSecret);
  assert.notEqual(rotated.secret, rot.secret);
  assert.ok(rotated.previousSecretUntil);
  await sendTest(rot.id);
  await eventually(
    "the overlap delivery",
    () => reached("rot", 1),
  );
  assert.equal(verified("rot", rot.secret).length, 1);
  assert.equal(verified("rot", rotated.secret).length, 1);
  // Herald's clock (the dev clock) moves past the overlap; signatures stay
  // on the wall clock, so the official verify still finds them fresh.
  await advanceClock(suite.stack, 25 * 3_600_000);
  await sendTest(rot.id);
  await eventually(
    "the later delivery",
    () => reached("rot", 2),
  );
  const later = callsTo("rot")[1];
  assert.ok(later);
  assert.equal(later.headers["webhook-signature"]?.split(" ").length, 1);
  new Webhook(rotated.secret).verify(later.raw, later.headers);
  assert.throws(
    () => new Webhook(rot.secret).verify(later.raw, later.headers),
    /No matching signature/,
  );

  // A tampered body, or an old timestamp (even correctly signed), fails.
  assert.throws(
    () =>
      new Webhook(rotated.secret).verify(
        later.raw.replace("webhook.test", "webhook.tesT"),
        later.headers,
      ),
    /No matching signature/,
  );
  const old = new Date(Date.now() - 10 * 60_000);
  const id = later.headers["webhook-id"] ?? "";
  assert.throws(
    () =>
      new Webhook(rotated.secret).verify(later.raw, {
        "webhook-id": id,
        "webhook-timestamp": String(Math.floor(old.getTime() / 1000)),
        "webhook-signature": new Webhook(rotated.secret).sign(
          id,
          old,
          later.raw,
        ),
      }),
    /too old/,
  );
});

test("metrics count events emitted and delivered by type and endpoint", async () => {
  const text = await (await suite.stack.admin("/metrics")).text();
  assert.match(
    text,
    /herald_webhook_events_emitted_total\{[^}]*type="webhook.test"/,
  );
  assert.match(
    text,
    /herald_webhook_events_delivered_total\{[^}]*endpoint="whe_/,
  );
  assert.match(text, /herald_webhook_attempts_failed_total\{/);
  assert.match(
    text,
    /herald_webhook_events_failed_total\{[^}]*type="webhook.test"/,
  );
});

test("schedule.sent is emitted when an instant of a deliverAt send is delivered, and when one is cancelled", async () => {
  const made = await endpoint("sched", ["schedule.sent"]);
  const now = await heraldNow(suite.stack);
  const schedule = async (user: string, inMs: number) => {
    const res = await suite.stack.admin(
      "/v1/notifications",
      json("POST", {
        userId: user,
        type: "orders.new",
        title: "Later",
        deliverAt: new Date(now + inMs).toISOString(),
      }),
    );
    assert.equal(res.status, 202, await res.clone().text());
    return (await read(
      res,
      z.object({ scheduled: z.object({ id: z.string() }) }),
    ))
      .scheduled.id;
  };
  const sent = await schedule("sched-ada", 3_600_000);
  const dropped = await schedule("sched-bo", 7_200_000);
  const res = await suite.stack.admin(
    `/v1/notifications/scheduled/${dropped}`,
    { method: "DELETE" },
  );
  assert.equal(res.status, 200);
  await res.body?.cancel();
  await advanceClock(suite.stack, 8_000_000);
  await qstashDrained(suite.stack);
  await eventually("both schedule.sent events", () => reached("sched", 2));
  const events = verified("sched", made.secret)
    .map((e) => [e.type, e.data.scheduledId, e.data.status, e.data.recipients])
    .sort((a, b) => String(a[2]).localeCompare(String(b[2])));
  assert.deepEqual(events, [
    ["schedule.sent", dropped, "cancelled", 1],
    ["schedule.sent", sent, "sent", 1],
  ]);
});

test("an event emitted while QStash is down waits in the outbox and is delivered once, when the cron finds QStash back", async () => {
  const made = await endpoint("outbox", ["webhook.test"]);
  const qstash = suite.stack.standIns.faults.qstash;
  await qstash.down();
  try {
    // Accepted: kept in libSQL, not lost.
    await sendTest(made.id);
    await suite.stack.runCron();
  } finally {
    await qstash.up();
  }
  assert.equal(callsTo("outbox").length, 0);
  const metrics = await (await suite.stack.admin("/metrics")).text();
  assert.match(metrics, /herald_outbox_kept_total\{kind="webhook"\} [1-9]/);
  await suite.stack.runCron();
  await eventually("the kept event to land", () => reached("outbox", 1));
  // A second minute finds the outbox empty: still one delivery.
  await suite.stack.runCron();
  await qstashDrained(suite.stack);
  assert.deepEqual(verified("outbox", made.secret).map((e) => e.type), [
    "webhook.test",
  ]);
  assert.match(
    await (await suite.stack.admin("/metrics")).text(),
    /herald_outbox_published_total\{kind="webhook"\} [1-9]/,
  );
});

suite.run();
