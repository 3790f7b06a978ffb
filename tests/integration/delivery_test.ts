import assert from "node:assert/strict";
import { createClient } from "@libsql/client/web";
import { z } from "zod";
import {
  DEV_QSTASH_NEXT_SIGNING_KEY,
  DEV_QSTASH_TOKEN,
} from "@herald/standin-qstash";
import { scheduleIdFor } from "../../src/domain/schedules/schedule_plan.ts";
import { slotScheduleId } from "../../src/domain/schedules/slot_plan.ts";
import { Webhook } from "standardwebhooks";
import { addDays, localParts } from "../../src/domain/time/zoned_time.ts";
import { deliver, signedDelivery } from "../support/deliveries.ts";
import { advanceToNextRun, heraldNow, userJobs } from "../support/placement.ts";
import { SseStream } from "../support/sse.ts";
import { integrationSuite } from "../support/suite.ts";

// The host app's content webhook: answers per user, so one suite covers the
// good reply, a failure and a timeout.
// A slow host never answers: Herald's own timeout has to give up on it.
const slowHostGivesUp = Promise.withResolvers<void>();
const webhookCalls: {
  userId: string;
  body: string;
  headers: Headers;
}[] = [];
const webhook = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen() {} },
  async (req) => {
    const body = await req.text();
    const payload = z.object({ userId: z.string() }).parse(JSON.parse(body));
    webhookCalls.push({
      userId: payload.userId,
      body,
      headers: req.headers,
    });
    if (payload.userId.startsWith("broken")) {
      return new Response("no", { status: 500 });
    }
    if (payload.userId.startsWith("slow")) await slowHostGivesUp.promise;
    if (payload.userId.startsWith("dataonly")) {
      return Response.json({ data: { tasks: 5, project: "Apollo" } });
    }
    return Response.json({
      title: `Evening, ${payload.userId}`,
      body: "From the host app",
      data: { tasks: 3 },
    });
  },
);

const suite = integrationSuite("delivery of fired schedules", {
  placements: ["slots", "per-user"],
  vars: { CONTENT_WEBHOOK_TIMEOUT_MS: "400" },
});
const { test } = suite;
let n = 0;
const newUser = (prefix = "dl") => `${prefix}-${++n}`;

const inboxItem = z.object({
  id: z.string(),
  type: z.string(),
  title: z.string(),
  body: z.string(),
  severity: z.string(),
  data: z.record(z.string(), z.unknown()).nullable(),
  createdAt: z.string(),
  readAt: z.string().nullable(),
});
const inboxPage = z.object({
  items: z.array(inboxItem),
  nextCursor: z.string().nullable(),
});

async function inbox(userId: string) {
  const res = await suite.stack.admin(`/v1/users/${userId}/notifications`);
  assert.equal(res.status, 200);
  return inboxPage.parse(await res.json()).items;
}

/** Saves preferences with one type at one time (UTC unless given). */
async function save(
  userId: string,
  type: string,
  time: string,
  extra: Record<string, unknown> = {},
) {
  const res = await suite.stack.admin(`/v1/users/${userId}/preferences`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      enabled: true,
      timezone: "UTC",
      types: { [type]: { enabled: true, times: [time] } },
      ...extra,
    }),
  });
  assert.equal(res.status, 200, await res.text());
}

const scheduleBody = (userId: string, type: string, localTime: string) =>
  JSON.stringify({ kind: "user-schedule", userId, type, localTime });

test("a fired schedule reaches the user's open SSE stream and inbox", async () => {
  const user = newUser();
  await save(user, "taskReminder", "14:00");
  const token = await suite.stack.userToken(user);
  const stream = await SseStream.open(`${suite.stack.url}/v1/stream`, {
    headers: { authorization: `Bearer ${token}` },
  });
  try {
    assert.equal((await stream.next()).event, "connected");
    // QStash fires the user's schedule (or their slot) by its own cron.
    await advanceToNextRun(suite.stack, user);
    const [event] = await stream.until("notification");
    assert.ok(event);
    const data = inboxItem.parse(JSON.parse(event.data));
    assert.equal(data.type, "taskReminder");
    assert.equal(data.title, "Tasks waiting for you");
    assert.match(data.body, /^You have open tasks for \d{4}-\d{2}-\d{2}$/);
    const count = await stream.until("count");
    assert.deepEqual(JSON.parse(count.at(-1)!.data), { unread: 1 });
    const items = await inbox(user);
    assert.equal(items.length, 1);
    assert.equal(items[0]!.id, data.id);
  } finally {
    await stream.close();
  }
});

test("the same message delivered three times makes one notification", async () => {
  const user = newUser();
  await save(user, "taskReminder", "09:15");
  const d = await signedDelivery(
    suite.stack,
    scheduleBody(user, "taskReminder", "09:15"),
  );
  const responses = await Promise.all([deliver(d), deliver(d), deliver(d)]);
  const outcomes = await Promise.all(responses.map(async (r) => {
    assert.equal(r.status, 200);
    return z.object({ status: z.string() }).parse(await r.json()).status;
  }));
  assert.deepEqual(outcomes.sort(), ["duplicate", "duplicate", "sent"]);
  assert.equal((await inbox(user)).length, 1);
  // The same delivery once more, as a retry this time: dropped too.
  const retried = await deliver(d, "msg_test", 1);
  assert.equal(
    (await z.object({ status: z.string() }).parse(
      await retried.json(),
    )).status,
    "duplicate",
  );
  assert.equal((await inbox(user)).length, 1);
});

test("a delivery signed with the next signing key is accepted", async () => {
  const user = newUser();
  await save(user, "taskReminder", "10:00");
  const d = await signedDelivery(
    suite.stack,
    scheduleBody(user, "taskReminder", "10:00"),
    DEV_QSTASH_NEXT_SIGNING_KEY,
  );
  assert.equal((await deliver(d)).status, 200);
  assert.equal((await inbox(user)).length, 1);
});

test("forged, tampered and wrong-URL callbacks get 401 and write nothing", async () => {
  const user = newUser();
  await save(user, "taskReminder", "11:00");
  const good = await signedDelivery(
    suite.stack,
    scheduleBody(user, "taskReminder", "11:00"),
  );
  const tampered = { ...good, body: good.body.replace("11:00", "11:00 ") };
  const forged = await signedDelivery(
    suite.stack,
    good.body,
    "sig_not_the_key_at_all_000000",
  );
  // A genuine QStash signature, but minted for another app's endpoint.
  const otherUrl = await signedDelivery(
    suite.stack,
    good.body,
    undefined,
    "https://other-app.example/webhook",
  );
  for (const [what, d] of Object.entries({ tampered, forged, otherUrl })) {
    const res = await deliver(d);
    assert.equal(res.status, 401, what);
    await res.body?.cancel();
  }
  const unsigned = await fetch(good.url, { method: "POST", body: good.body });
  assert.equal(unsigned.status, 401);
  await unsigned.body?.cancel();
  assert.equal((await inbox(user)).length, 0);
});

test("a first attempt that died before its fan-out is finished by the retry, once", async () => {
  const user = newUser();
  await save(user, "taskReminder", "12:00");
  // Stand in for an attempt that stored the notification and then died: the
  // row and its outbox entry exist, nothing was published.
  const db = createClient({ url: suite.stack.standIns.libsqlUrl });
  // The occurrence a delivery now belongs to: the latest 12:00 UTC (Herald
  // allows QStash five minutes of early clock skew).
  const now = await heraldNow(suite.stack);
  const today = localParts(now + 5 * 60_000, "UTC");
  const date = today.time >= "12:00" ? today.date : addDays(today.date, -1);
  const id = `ntf_halfway${n}`;
  await db.batch([
    {
      sql:
        `insert into notifications (id, type, title, body, severity, data, source, idempotency_key, created_at)
            values (?, 'taskReminder', 'Half way', '', 'medium', null, 'schedule', ?, ?)`,
      args: [id, `occ:${user}:taskReminder:${date}T12:00`, now],
    },
    {
      sql:
        "insert into notification_audiences (notification_id, audience, created_at) values (?, ?, ?)",
      args: [id, `user:${user}`, now],
    },
    {
      sql: "insert into fanout_outbox values (?, 0, ?, ?)",
      args: [id, now + 60_000, now],
    },
  ], "write");
  const token = await suite.stack.userToken(user);
  const stream = await SseStream.open(`${suite.stack.url}/v1/stream`, {
    headers: { authorization: `Bearer ${token}` },
  });
  try {
    await stream.next(); // connected
    const d = await signedDelivery(
      suite.stack,
      scheduleBody(user, "taskReminder", "12:00"),
    );
    const res = await deliver(d);
    assert.deepEqual(await res.json(), {
      status: "duplicate",
      notificationId: id,
    });
    const events = await stream.until("notification");
    assert.equal(JSON.parse(events.at(-1)!.data).id, id);
    // A second retry finds the outbox cleared and publishes nothing more.
    await deliver(
      await signedDelivery(
        suite.stack,
        scheduleBody(user, "taskReminder", "12:00"),
      ),
    );
    const later = await stream.drain(300);
    assert.equal(later.filter((e) => e.event === "notification").length, 0);
    const left = await db.execute({
      sql: "select count(*) as n from fanout_outbox where notification_id = ?",
      args: [id],
    });
    assert.equal(Number(left.rows[0]!.n), 0);
  } finally {
    await stream.close();
    db.close();
  }
});

test("a callback for a type or user switched off since produces nothing", async () => {
  const user = newUser();
  await save(user, "taskReminder", "13:00");
  const d = await signedDelivery(
    suite.stack,
    scheduleBody(user, "taskReminder", "13:00"),
  );
  await suite.stack.admin(`/v1/users/${user}/preferences`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ types: { taskReminder: { enabled: false } } }),
  }).then((r) => r.body?.cancel());
  const res = await deliver(d);
  assert.deepEqual(await res.json(), {
    status: "skipped",
    reason: "type switched off",
  });
  await suite.stack.admin(`/v1/users/${user}/preferences`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      enabled: false,
      types: { taskReminder: { enabled: true } },
    }),
  }).then((r) => r.body?.cancel());
  const again = await deliver(await signedDelivery(suite.stack, d.body));
  assert.deepEqual(await again.json(), {
    status: "skipped",
    reason: "notifications switched off",
  });
  assert.equal((await inbox(user)).length, 0);
});

test("an occurrence inside quiet hours is deferred to their end, not dropped", async () => {
  const user = newUser();
  const now = new Date(await heraldNow(suite.stack));
  const hh = (h: number) => String((h + 24) % 24).padStart(2, "0");
  const time = `${hh(now.getUTCHours())}:${
    String(now.getUTCMinutes()).padStart(2, "0")
  }`;
  const quietHours = {
    start: `${hh(now.getUTCHours() - 1)}:00`,
    end: `${hh(now.getUTCHours() + 2)}:00`,
  };
  await save(user, "taskReminder", time, { quietHours });
  const res = await deliver(
    await signedDelivery(suite.stack, scheduleBody(user, "taskReminder", time)),
  );
  const outcome = z.object({ status: z.literal("deferred"), until: z.string() })
    .parse(await res.json());
  assert.ok(Date.parse(outcome.until) > now.getTime());
  assert.equal((await inbox(user)).length, 0);
  // QStash holds the deferred message; moving its clock past the end delivers it.
  const advanced = await fetch(
    `${suite.stack.standIns.qstashUrl}/v2/dev/clock`,
    {
      method: "POST",
      headers: {
        authorization: `Bearer ${DEV_QSTASH_TOKEN}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ advance: 3 * 3_600_000 }),
    },
  );
  const delivered = z.object({
    delivered: z.array(z.object({ status: z.number(), url: z.string() })),
  })
    .parse(await advanced.json()).delivered.filter((d) =>
      d.url.endsWith("/v1/qstash/callback")
    );
  assert.ok(delivered.some((d) => d.status === 200));
  const items = await inbox(user);
  assert.equal(items.length, 1);
  assert.equal(items[0]!.type, "taskReminder");
});

test("content comes from the type's webhook, signed, filling its templates, with the templates alone as fallback", async () => {
  // The webhook is part of the type, set through the catalogue.
  const made = await suite.stack.admin("/v1/types", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      id: "hostContent",
      label: "Host content",
      enabled: false,
      times: ["18:00"],
      template: {
        title: "Your day at {{localTime}}",
        body: "{{data.tasks}} tasks in {{data.project}}",
      },
      webhook: `http://127.0.0.1:${webhook.addr.port}/content`,
    }),
  });
  assert.equal(made.status, 201, await made.text());
  const good = newUser("good");
  const dataOnly = newUser("dataonly");
  const broken = newUser("broken");
  const slow = newUser("slow");
  for (const user of [good, dataOnly, broken, slow]) {
    await save(user, "hostContent", "18:00");
    const res = await deliver(
      await signedDelivery(
        suite.stack,
        scheduleBody(user, "hostContent", "18:00"),
      ),
    );
    assert.equal(res.status, 200);
    await res.body?.cancel();
  }
  const [fromHost] = await inbox(good);
  assert.equal(fromHost?.title, `Evening, ${good}`);
  assert.equal(fromHost?.data?.tasks, 3);
  const [filled] = await inbox(dataOnly);
  assert.equal(filled?.title, "Your day at 18:00");
  assert.equal(filled?.body, "5 tasks in Apollo");
  for (const user of [broken, slow]) {
    const [fallback] = await inbox(user);
    assert.equal(fallback?.title, "Your day at 18:00");
    assert.equal(fallback?.body, " tasks in ", "no data: empty, not braces");
  }
  // Without WEBHOOK_SECRET the host app verifies with the secret it
  // already holds, as raw bytes, using the spec's official library (which
  // also refuses a stale timestamp).
  const call = webhookCalls.find((c) => c.userId === good);
  assert.ok(call);
  const verified = new Webhook(suite.stack.jwtSecret, { format: "raw" })
    .verify(call.body, Object.fromEntries(call.headers));
  assert.deepEqual(verified, JSON.parse(call.body));
});

test("a schedule firing at its cron time under QStash's clock lands in the inbox", async () => {
  const user = newUser();
  await save(user, "weeklyReport", "09:00");
  const [job] = (await userJobs(suite.stack, user)).values();
  // No days given: the weekly report keeps its default day, Monday.
  assert.deepEqual(job?.trigger, {
    type: "cron",
    cron: "0 9 * * 1",
    timezone: "UTC",
  });
  const { delivered } = await advanceToNextRun(suite.stack, user);
  const firing = suite.placement === "per-user"
    ? scheduleIdFor(user, "weeklyReport", "09:00")
    : slotScheduleId("0900");
  // A slot fires every day on the way to Monday; only Monday is the
  // user's: one notification either way.
  const firings = delivered.filter((d) => d.scheduleId === firing);
  assert.ok(firings.length >= 1);
  assert.ok(firings.every((d) => d.status === 200));
  const items = await inbox(user);
  assert.equal(items.length, 1);
  assert.equal(items[0]!.title, "Your weekly report");
  const occurrence = z.object({ localDate: z.string() }).parse(
    items[0]!.data?.occurrence,
  );
  assert.equal(new Date(`${occurrence.localDate}T00:00:00Z`).getUTCDay(), 1);
});

async function setClock(at: number) {
  const res = await fetch(`${suite.stack.standIns.qstashUrl}/v2/dev/clock`, {
    method: "POST",
    headers: { authorization: `Bearer ${DEV_QSTASH_TOKEN}` },
    body: JSON.stringify({ set: at }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return z.object({
    delivered: z.array(z.object({
      scheduleId: z.string().optional(),
      status: z.number(),
      retried: z.number(),
      at: z.number(),
    })),
  }).parse(await res.json()).delivered;
}

/** The local dates the user's notifications were made for. */
async function occurrenceDates(user: string): Promise<string[]> {
  return (await inbox(user)).map((item) =>
    z.object({ localDate: z.string() }).parse(item.data?.occurrence)
      .localDate
  ).sort();
}

const DAY = 86_400_000;
/** The first midnight (UTC) at least ten minutes ahead of `now`. */
const nextMidnight = (now: number) =>
  Math.ceil((now + 10 * 60_000) / DAY) * DAY;
const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

test("a delivery retried past midnight is named by the day it fired", async () => {
  const user = newUser("late");
  await save(user, "taskReminder", "23:59", {
    types: {
      taskReminder: {
        enabled: true,
        times: ["23:59"],
        days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
      },
    },
  });
  const midnight = nextMidnight(await heraldNow(suite.stack));
  await setClock(midnight - 5 * 60_000);
  // libSQL is away when it fires (23:59) and at the first retry (+12 s).
  await suite.stack.standIns.faults.libsql.down();
  try {
    const failed = await setClock(midnight - 30_000);
    assert.ok(failed.some((d) => d.status >= 500), JSON.stringify(failed));
  } finally {
    await suite.stack.standIns.faults.libsql.up();
  }
  // The next retry comes after midnight, and succeeds.
  const later = await setClock(midnight + 10 * 60_000);
  assert.ok(later.some((d) => d.status === 200 && d.retried > 0));
  assert.deepEqual(await occurrenceDates(user), [dateOf(midnight - DAY)]);
  // That night's occurrence is its own, not a duplicate of the late one.
  await setClock(midnight + DAY);
  assert.deepEqual(await occurrenceDates(user), [
    dateOf(midnight - DAY),
    dateOf(midnight),
  ]);
});

test("a delivery that arrives 25 hours late is named by the day it fired, and the next day's still comes", async () => {
  const user = newUser("later");
  await save(user, "taskReminder", "23:58", {
    types: {
      taskReminder: {
        enabled: true,
        times: ["23:58"],
        days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
      },
    },
  });
  const midnight = nextMidnight(await heraldNow(suite.stack));
  const fired = midnight - 2 * 60_000;
  await setClock(fired - 60_000);
  // Away from the firing for seven hours: QStash's first four retries fail.
  await suite.stack.standIns.faults.libsql.down();
  try {
    await setClock(fired + 7 * 3_600_000);
  } finally {
    await suite.stack.standIns.faults.libsql.up();
  }
  // The next night's firing is served on time; the first night's fifth
  // retry comes about 30 hours after it fired.
  const replay = await setClock(fired + 31 * 3_600_000);
  assert.ok(
    replay.some((d) => d.status === 200 && d.retried === 5),
    JSON.stringify(replay.map((d) => [d.retried, d.status])),
  );
  assert.deepEqual(await occurrenceDates(user), [
    dateOf(fired),
    dateOf(fired + DAY),
  ]);
});

suite.onClose(() => {
  slowHostGivesUp.resolve();
  return webhook.shutdown();
});
suite.run();
