import assert from "node:assert/strict";
import { z } from "zod";
import {
  addDays,
  localParts,
  zonedInstant,
} from "../../src/domain/time/zoned_time.ts";
import { errorBody, read } from "../support/bodies.ts";
import { heraldNow } from "../support/placement.ts";
import {
  qstashClient,
  qstashDrained,
  setClock as setQStashClock,
} from "../support/qstash.ts";
import {
  instantKey,
  instantMessageName,
} from "../../src/services/delivery/scheduled_message.ts";
import { runCleanupJob } from "../support/cleanup_job.ts";
import { integrationSuite } from "../support/suite.ts";
import { createClient } from "@libsql/client/web";
import { eventually } from "../../testing/eventually.ts";

/**
 * `deliverAt`: a local time in each recipient's own zone, played with the
 * dev clock — nobody early, nobody twice, ifPast, a DST gap, cancelling.
 */
const suite = integrationSuite("deliverAt: sending at a local time");
const { test } = suite;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const iso = (t: number) => new Date(t).toISOString();

const scheduledBody = z.object({
  scheduled: z.object({
    id: z.string(),
    status: z.enum(["scheduled", "delivering", "delivered", "cancelled"]),
    deliverAt: z.string(),
    ifPast: z.enum(["now", "skip", "nextDay"]),
    instants: z.array(z.object({
      at: z.string(),
      recipients: z.array(z.string()),
      status: z.enum(["pending", "sent", "cancelled"]),
    })),
    skipped: z.array(z.string()),
  }),
});
type Scheduled = z.infer<typeof scheduledBody>["scheduled"];
const upcomingBody = z.object({
  items: z.array(
    z.object({ at: z.string(), scheduledId: z.string().nullable() }),
  ),
});
const inbox = z.object({
  items: z.array(z.object({ id: z.string(), createdAt: z.string() })),
});

let n = 0;
const newUser = (name: string) => `at-${name}-${++n}`;

const setClock = (at: number) => setQStashClock(suite.stack, at);

async function livesIn(
  user: string,
  timezone: string,
  more: { enabled?: boolean; quietHours?: { start: string; end: string } } = {},
) {
  const res = await suite.stack.admin(`/v1/users/${user}/preferences`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ enabled: true, timezone, types: {}, ...more }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  await res.body?.cancel();
}

function post(body: Record<string, unknown>, headers = {}) {
  return suite.stack.admin("/v1/notifications", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({
      type: "orders.new",
      title: "Good morning",
      ...body,
    }),
  });
}

async function schedule(body: Record<string, unknown>): Promise<Scheduled> {
  const res = await post(body);
  assert.equal(res.status, 202, await res.clone().text());
  return (await read(res, scheduledBody)).scheduled;
}

/** When each notification in the user's inbox was made, oldest first. */
async function deliveries(user: string): Promise<number[]> {
  const res = await suite.stack.admin(`/v1/users/${user}/notifications`);
  assert.equal(res.status, 200);
  return (await read(res, inbox)).items.map((i) => Date.parse(i.createdAt))
    .reverse();
}

async function show(id: string): Promise<Scheduled> {
  const res = await suite.stack.admin(`/v1/notifications/scheduled/${id}`);
  assert.equal(res.status, 200, await res.clone().text());
  return (await read(res, scheduledBody)).scheduled;
}

function cancel(id: string) {
  return suite.stack.admin(`/v1/notifications/scheduled/${id}`, {
    method: "DELETE",
  });
}

const minuteOf = (t: number) => Math.floor(t / MINUTE) * MINUTE;

test("users in Paris, New York, Kathmandu and Chatham each get one notification at 09:00 of their own day, none early", async () => {
  const zones = [
    "Europe/Paris",
    "America/New_York",
    "Asia/Kathmandu",
    "Pacific/Chatham",
  ];
  const users = zones.map((z) => newUser(z.split("/")[1] ?? "x"));
  for (const [i, user] of users.entries()) await livesIn(user, zones[i] ?? "");
  const now = await heraldNow(suite.stack);
  const date = iso(now + 2 * DAY).slice(0, 10);
  const send = await schedule({ userIds: users, deliverAt: `${date}T09:00` });
  const expected = zones.map((zone) => zonedInstant(date, "09:00", zone));
  assert.equal(send.status, "scheduled");
  assert.deepEqual(
    send.instants.map((i) => [i.at, i.recipients]),
    users.map((u, i) => [iso(expected[i] ?? 0), [u]])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
  );
  // Each user's upcoming lists their own instant of it, and only that.
  for (const [i, user] of users.entries()) {
    const res = await suite.stack.admin(`/v1/users/${user}/upcoming?days=3`);
    const { items } = await read(res, upcomingBody);
    assert.deepEqual(
      items.filter((o) => o.scheduledId === send.id).map((o) => o.at),
      [iso(expected[i] ?? 0)],
      user,
    );
  }
  const order = users.map((user, i) => ({ user, at: expected[i] ?? 0 }))
    .sort((a, b) => a.at - b.at);
  for (const { user, at } of order) {
    await setClock(at - MINUTE);
    assert.deepEqual(await deliveries(user), [], `${user} early`);
    await setClock(at + MINUTE);
    assert.deepEqual((await deliveries(user)).map(minuteOf), [at], user);
  }
  await setClock((order.at(-1)?.at ?? 0) + HOUR);
  for (const { user, at } of order) {
    assert.deepEqual((await deliveries(user)).map(minuteOf), [at], user);
  }
  assert.equal((await show(send.id)).status, "delivered");
});

test("a local time already passed is delivered now, never, or the next day, by ifPast", async () => {
  const [now1, later, skip, next] = ["now", "later", "skip", "next"].map(
    newUser,
  );
  for (const user of [now1, later, skip, next]) {
    await livesIn(user ?? "", "Asia/Kathmandu");
  }
  const now = await heraldNow(suite.stack);
  const past = localParts(now - 2 * HOUR, "Asia/Kathmandu");
  const deliverAt = `${past.date}T${past.time}`;

  const asap = await schedule({ userId: now1, deliverAt });
  assert.equal(asap.instants.length, 1);
  await qstashDrained(suite.stack);
  await eventually(
    "the passed send to arrive at once",
    async () => (await deliveries(now1 ?? "")).length === 1 ? true : null,
  );
  const passedDefault = await schedule({
    userId: later,
    deliverAt,
    ifPast: "now",
  });
  assert.equal(passedDefault.instants.length, 1);

  const skipped = await schedule({ userId: skip, deliverAt, ifPast: "skip" });
  assert.deepEqual(skipped.instants, []);
  assert.deepEqual(skipped.skipped, [skip]);

  const tomorrow = await schedule({
    userId: next,
    deliverAt,
    ifPast: "nextDay",
  });
  const at = zonedInstant(addDays(past.date, 1), past.time, "Asia/Kathmandu");
  assert.deepEqual(tomorrow.instants.map((i) => i.at), [iso(at)]);
  await setClock(at - MINUTE);
  assert.deepEqual(await deliveries(next ?? ""), []);
  await setClock(at + MINUTE);
  assert.deepEqual((await deliveries(next ?? "")).map(minuteOf), [at]);
  assert.deepEqual(await deliveries(skip ?? ""), []);
  assert.equal((await deliveries(now1 ?? "")).length, 1);
});

test("one QStash message per distinct instant, not per user", async () => {
  const users = Array.from({ length: 30 }, (_, i) => newUser(`many${i}`));
  const zones = ["Europe/Paris", "Europe/Berlin", "America/New_York"];
  for (const [i, user] of users.entries()) {
    await livesIn(user, zones[i % zones.length] ?? "");
  }
  const now = await heraldNow(suite.stack);
  const date = iso(now + 2 * DAY).slice(0, 10);
  const send = await schedule({ userIds: users, deliverAt: `${date}T09:00` });
  // Paris and Berlin share an offset: two instants for 30 users.
  assert.equal(send.instants.length, 2);
  assert.deepEqual(
    send.instants.map((i) => i.recipients.length).sort(),
    [10, 20],
  );
  const res = await cancel(send.id);
  assert.equal(res.status, 200);
  await res.body?.cancel();
});

test("a user who switched notifications off gets nothing at the instant", async () => {
  const off = newUser("off");
  const on = newUser("on");
  await livesIn(off, "Europe/Paris", { enabled: false });
  await livesIn(on, "Europe/Paris");
  const now = await heraldNow(suite.stack);
  const send = await schedule({
    userIds: [off, on],
    deliverAt: iso(now + HOUR),
  });
  await setClock(now + HOUR + MINUTE);
  assert.equal((await deliveries(on)).length, 1);
  assert.deepEqual(await deliveries(off), []);
  assert.equal((await show(send.id)).status, "delivered");
});

test("quiet hours hold a user's instant until they end; the others get it on time", async () => {
  const quiet = newUser("quiet");
  const awake = newUser("awake");
  await livesIn(quiet, "Europe/Paris", {
    quietHours: { start: "22:00", end: "07:00" },
  });
  await livesIn(awake, "Europe/Paris");
  const now = await heraldNow(suite.stack);
  const date = iso(now + 2 * DAY).slice(0, 10);
  const send = await schedule({
    userIds: [quiet, awake],
    deliverAt: `${date}T23:00`,
  });
  const at = zonedInstant(date, "23:00", "Europe/Paris");
  const morning = zonedInstant(addDays(date, 1), "07:00", "Europe/Paris");
  await setClock(at + MINUTE);
  assert.deepEqual((await deliveries(awake)).map(minuteOf), [at]);
  assert.deepEqual(await deliveries(quiet), []);
  const held = await show(send.id);
  assert.deepEqual(
    held.instants.map((i) => [i.at, i.recipients, i.status]),
    [[iso(at), [quiet, awake], "sent"], [iso(morning), [quiet], "pending"]],
  );
  await setClock(morning + MINUTE);
  assert.deepEqual((await deliveries(quiet)).map(minuteOf), [morning]);
  assert.equal((await show(send.id)).status, "delivered");
});

test("cancel before delivery: nothing is delivered; cancelling twice answers the same", async () => {
  const user = newUser("cancel-before");
  await livesIn(user, "Europe/Paris");
  const now = await heraldNow(suite.stack);
  const send = await schedule({ userId: user, deliverAt: iso(now + HOUR) });
  for (const attempt of [1, 2]) {
    const res = await cancel(send.id);
    assert.equal(res.status, 200, `cancel ${attempt}`);
    const { scheduled } = await read(res, scheduledBody);
    assert.equal(scheduled.status, "cancelled");
    assert.deepEqual(scheduled.instants.map((i) => i.status), ["cancelled"]);
  }
  await setClock(now + 2 * HOUR);
  assert.deepEqual(await deliveries(user), []);
});

test("cancel partly through: what went out is reported, the rest never arrives", async () => {
  const paris = newUser("part-paris");
  const ny = newUser("part-ny");
  await livesIn(paris, "Europe/Paris");
  await livesIn(ny, "America/New_York");
  const now = await heraldNow(suite.stack);
  const date = iso(now + 2 * DAY).slice(0, 10);
  const send = await schedule({
    userIds: [paris, ny],
    deliverAt: `${date}T09:00`,
  });
  const parisAt = zonedInstant(date, "09:00", "Europe/Paris");
  await setClock(parisAt + MINUTE);
  assert.equal((await show(send.id)).status, "delivering");
  const res = await cancel(send.id);
  assert.equal(res.status, 200);
  const { scheduled } = await read(res, scheduledBody);
  assert.equal(scheduled.status, "cancelled");
  assert.deepEqual(
    scheduled.instants.map((i) => [i.recipients, i.status]),
    [[[paris], "sent"], [[ny], "cancelled"]],
  );
  await setClock(zonedInstant(date, "09:00", "America/New_York") + HOUR);
  assert.equal((await deliveries(paris)).length, 1);
  assert.deepEqual(await deliveries(ny), []);
});

test("a cancel removes the QStash messages of the instants it cancelled, and no others", async () => {
  const client = qstashClient(suite.stack);
  /** Cancels, through QStash itself, the messages left for an instant. */
  const leftFor = async (send: Scheduled, at: string) =>
    (await client.messages.cancel({
      filter: {
        label: instantMessageName(send.id, instantKey(Date.parse(at))),
      },
    })).cancelled;
  const now = await heraldNow(suite.stack);
  const [kept, gone] = [newUser("msg-kept"), newUser("msg-gone")];
  const control = await schedule({ userId: kept, deliverAt: iso(now + HOUR) });
  const send = await schedule({
    userIds: [gone, newUser("msg-gone")],
    deliverAt: iso(now + 2 * HOUR),
  });
  const res = await cancel(send.id);
  assert.equal(res.status, 200);
  await res.body?.cancel();
  const [instant] = send.instants;
  assert.ok(instant);
  assert.equal(await leftFor(send, instant.at), 0, "cancelled: gone");
  // The label does name a live message: the control send's is still held.
  assert.equal(await leftFor(control, control.instants[0]?.at ?? ""), 1);
  await setClock(now + 3 * HOUR);
  assert.deepEqual(await deliveries(gone), []);
});

test("cancel after delivery is a 409 that names the instants that went out", async () => {
  const user = newUser("cancel-after");
  const now = await heraldNow(suite.stack);
  const send = await schedule({ userId: user, deliverAt: iso(now + HOUR) });
  await setClock(now + HOUR + MINUTE);
  assert.equal((await deliveries(user)).length, 1);
  for (const attempt of [1, 2]) {
    const res = await cancel(send.id);
    assert.equal(res.status, 409, `cancel ${attempt}`);
    const body = z.object({
      error: z.object({ scheduled: scheduledBody.shape.scheduled }),
    })
      .parse(await res.json());
    assert.equal(body.error.scheduled.status, "delivered");
    assert.deepEqual(body.error.scheduled.instants.map((i) => i.status), [
      "sent",
    ]);
  }
});

test("a cancel racing the delivery never delivers a cancelled instant, and says which won", async () => {
  for (let round = 0; round < 4; round++) {
    const user = newUser(`race${round}`);
    const now = await heraldNow(suite.stack);
    const send = await schedule({ userId: user, deliverAt: iso(now + HOUR) });
    const [, res] = await Promise.all([
      setClock(now + HOUR + MINUTE),
      cancel(send.id),
    ]);
    const delivered = (await deliveries(user)).length;
    const final = await show(send.id);
    if (res.status === 200) {
      const { scheduled } = await read(res, scheduledBody);
      // The cancel won (nothing delivered) or lost (already sent, reported).
      assert.equal(scheduled.instants[0]?.status === "sent" ? 1 : 0, delivered);
      assert.equal(final.instants[0]?.status, scheduled.instants[0]?.status);
    } else {
      assert.equal(res.status, 409);
      await res.body?.cancel();
      assert.equal(delivered, 1);
      assert.equal(final.status, "delivered");
    }
    assert.ok(delivered <= 1);
  }
});

test("refused: a local deliverAt for roles or a topic, over a year ahead, a bad time, too many users", async () => {
  const now = await heraldNow(suite.stack);
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ roles: ["ops"], deliverAt: "2027-01-05T09:00" }, "deliverAt", /instant/],
    [{ topic: "news", deliverAt: "2027-01-05T09:00" }, "deliverAt", /instant/],
    [
      { userId: "u", deliverAt: iso(now + 400 * DAY) },
      "deliverAt",
      /year/,
    ],
    [{ userId: "u", deliverAt: "2027-02-30T09:00" }, "deliverAt", /local/],
    [{ userId: "u", ifPast: "skip" }, "ifPast", /deliverAt/],
    [
      {
        userIds: Array.from({ length: 1001 }, (_, i) => `u${i}`),
        deliverAt: iso(now + HOUR),
      },
      "userIds",
      /1000/,
    ],
  ];
  for (const [body, path, message] of cases) {
    const res = await post(body);
    assert.equal(res.status, 400, JSON.stringify(body).slice(0, 80));
    const { error } = errorBody.parse(await res.json());
    const field = error.fields?.find((f) => f.path === path);
    assert.ok(field ?? error.message.includes(path), error.message);
    assert.match(field?.message ?? error.message, message);
  }
  const res = await suite.stack.admin("/v1/notifications/scheduled/sch_none");
  assert.equal(res.status, 404);
  await res.body?.cancel();
  // An instant for a role is fine: one broadcast at that instant.
  const role = await schedule({ roles: ["ops"], deliverAt: iso(now + HOUR) });
  assert.deepEqual(role.instants.map((i) => i.recipients), [["role:ops"]]);
});

test("New York's spring-forward day with 02:30 delivers once, at 03:30", async () => {
  const user = newUser("ny-dst");
  await livesIn(user, "America/New_York");
  const now = await heraldNow(suite.stack);
  // The second Sunday of March after now.
  const year = new Date(now).getUTCFullYear() + 1;
  const first = new Date(Date.UTC(year, 2, 1)).getUTCDay();
  const day = 1 + ((7 - first) % 7) + 7;
  const date = `${year}-03-${String(day).padStart(2, "0")}`;
  const send = await schedule({ userId: user, deliverAt: `${date}T02:30` });
  // 03:30 EDT is 07:30Z.
  const at = Date.parse(`${date}T07:30:00Z`);
  assert.deepEqual(send.instants.map((i) => i.at), [iso(at)]);
  await setClock(at - MINUTE);
  assert.deepEqual(await deliveries(user), []);
  await setClock(at + 3 * HOUR);
  assert.deepEqual((await deliveries(user)).map(minuteOf), [at]);
});

// Last: it moves the clock days on.
test("cleanup prunes sends finished before the retention, with their instants; a pending or lately delivered one stays", async () => {
  const user = newUser("prune");
  const now = await heraldNow(suite.stack);
  const done = await schedule({ userId: user, deliverAt: iso(now + MINUTE) });
  const cancelled = await schedule({
    userId: user,
    deliverAt: iso(now + HOUR),
  });
  const res = await cancel(cancelled.id);
  assert.equal(res.status, 200);
  await res.body?.cancel();
  const later = await schedule({ userId: user, deliverAt: iso(now + 3 * DAY) });
  await setClock(now + 2 * MINUTE);
  assert.equal((await show(done.id)).status, "delivered");
  const status = async (id: string) => {
    const res = await suite.stack.admin(`/v1/notifications/scheduled/${id}`);
    await res.body?.cancel();
    return res.status;
  };
  await setClock(now + DAY + HOUR);
  const first = await runCleanupJob(suite.stack, 1);
  assert.ok(first.scheduledSendsPruned >= 2, JSON.stringify(first));
  assert.deepEqual(
    [await status(done.id), await status(cancelled.id), await status(later.id)],
    [404, 404, 200],
  );
  const db = createClient({ url: suite.stack.standIns.libsqlUrl });
  try {
    const left = await db.execute({
      sql:
        "select count(*) as n from scheduled_instants where send_id in (?, ?)",
      args: [done.id, cancelled.id],
    });
    assert.equal(Number(left.rows[0]?.n), 0, "their instants went too");
  } finally {
    db.close();
  }
  // Made over a day ago, but delivered just now: kept for the retention.
  await setClock(now + 3 * DAY + MINUTE);
  assert.equal((await show(later.id)).status, "delivered");
  await runCleanupJob(suite.stack, 1);
  assert.equal(await status(later.id), 200);
});

suite.run();
