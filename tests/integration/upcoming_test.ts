import assert from "node:assert/strict";
import { z } from "zod";
import { nextGapFor } from "../../src/domain/time/dst_gap.ts";
import { errorBody, read } from "../support/bodies.ts";
import { heraldNow, setDevClock } from "../support/placement.ts";
import { integrationSuite } from "../support/suite.ts";

/**
 * `GET /v1/users/{id}/upcoming` lists what the dev clock then delivers,
 * occurrence for occurrence, whichever placement: across a spring-forward
 * gap, a repeated hour and quiet hours, over seven played days.
 */
const suite = integrationSuite("upcoming occurrences", {
  placements: ["slots", "per-user"],
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ZONE = "America/New_York";

const upcomingBody = z.object({
  items: z.array(z.object({
    type: z.string(),
    at: z.string(),
    localDate: z.string(),
    localTime: z.string(),
    timezone: z.string(),
    channels: z.object({ push: z.boolean() }),
    deferredBy: z.enum(["quietHours"]).nullable(),
    scheduledId: z.string().nullable(),
  })),
});

const inboxBody = z.object({
  items: z.array(z.object({
    type: z.string(),
    createdAt: z.string(),
    data: z.object({
      occurrence: z.object({
        localDate: z.string(),
        localTime: z.string(),
        timezone: z.string(),
      }),
    }),
  })),
});

const setClock = (at: number) => setDevClock(suite.stack, at);

async function save(user: string, prefs: unknown): Promise<void> {
  const res = await suite.stack.admin(`/v1/users/${user}/preferences`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(prefs),
  });
  assert.equal(res.status, 200, await res.clone().text());
  await res.body?.cancel();
}

async function upcoming(user: string, days = 7) {
  const res = await suite.stack.admin(
    `/v1/users/${user}/upcoming?days=${days}`,
  );
  return (await read(res, upcomingBody)).items;
}

/** An occurrence as both sides can name it, to the minute. */
const minute = (iso: string) => Math.floor(Date.parse(iso) / 60_000);
type Named = [type: string, localDate: string, localTime: string, at: number];

/** Plays the dev clock a week on, six hours at a time; answers the inbox. */
async function playWeek(user: string, from: number): Promise<Named[]> {
  for (let t = from + 6 * HOUR; t <= from + 7 * DAY; t += 6 * HOUR) {
    await setClock(t);
  }
  const res = await suite.stack.admin(
    `/v1/users/${user}/notifications?limit=100`,
  );
  const { items } = await read(res, inboxBody);
  return items.map((i): Named => [
    i.type,
    i.data.occurrence.localDate,
    i.data.occurrence.localTime,
    minute(i.createdAt),
  ]).sort(byDelivery);
}

/** Upcoming's own order: when delivered, then type, then local time. */
const byDelivery = (a: Named, b: Named) =>
  a[3] - b[3] || a[0].localeCompare(b[0]) || a[2].localeCompare(b[2]);

function named(items: z.infer<typeof upcomingBody>["items"]): Named[] {
  const list = items.map((i): Named => [
    i.type,
    i.localDate,
    i.localTime,
    minute(i.at),
  ]);
  assert.deepEqual([...list].sort(byDelivery), list, "in delivery order");
  return list;
}

/** The Sunday in November after `after` when New York repeats 01:00–01:59. */
function fallBackAfter(after: number): number {
  for (const year of [0, 1].map((k) => new Date(after).getUTCFullYear() + k)) {
    const d = new Date(Date.UTC(year, 10, 1));
    d.setUTCDate(1 + ((7 - d.getUTCDay()) % 7));
    if (d.getTime() > after) return d.getTime();
  }
  throw new Error("No fall-back within two years");
}

suite.test("days outside 1–31 are a 400; a user reads their own, not another's", async () => {
  for (const days of ["0", "32", "x"]) {
    const res = await suite.stack.admin(`/v1/users/up-a/upcoming?days=${days}`);
    assert.equal(res.status, 400);
    await read(res, errorBody);
  }
  await save(`up-a-${suite.placement}`, {
    enabled: true,
    timezone: ZONE,
    types: { morningDigest: { enabled: true, times: ["08:00"] } },
  });
  const token = await suite.stack.userToken(`up-a-${suite.placement}`);
  const own = await fetch(
    `${suite.stack.url}/v1/users/up-a-${suite.placement}/upcoming?days=2`,
    { headers: { authorization: `Bearer ${token}` } },
  );
  const items = (await read(own, upcomingBody)).items;
  assert.equal(items.length, 2, "08:00 on each of two days");
  assert.deepEqual(items.map((i) => i.channels), [{ push: false }, {
    push: false,
  }]);
  const other = await fetch(`${suite.stack.url}/v1/users/up-b/upcoming`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(other.status, 403);
  await other.body?.cancel();
  assert.deepEqual(await upcoming("never-saved"), []);
});

suite.test("across New York's spring-forward, with quiet hours, upcoming is what the week delivers", async () => {
  const user = `up-spring-${suite.placement}`;
  const gap = nextGapFor(ZONE, "02:30", await heraldNow(suite.stack));
  assert.ok(gap);
  const start = Date.parse(`${gap.date}T12:00:00Z`) - 3 * DAY;
  await setClock(start);
  await save(user, {
    enabled: true,
    timezone: ZONE,
    quietHours: { start: "22:00", end: "07:00" },
    types: {
      morningDigest: { enabled: true, times: ["02:30", "06:30", "09:00"] },
      taskReminder: { enabled: true, times: ["14:00"], days: ["sun", "mon"] },
      eveningSummary: { enabled: false },
    },
  });
  const items = await upcoming(user);
  // 3 times a day (all deferred but 09:00) and Sunday's and Monday's 14:00.
  assert.equal(items.length, 7 * 3 + 2);
  assert.ok(items.every((i) => i.timezone === ZONE));
  assert.ok(!items.some((i) => i.type === "eveningSummary"));
  const gapDay = items.filter((i) =>
    i.localDate === gap.date && i.type === "morningDigest"
  );
  // 02:30 does not exist that night; it is deferred to 07:00 all the same.
  assert.deepEqual(gapDay.map((i) => [i.localTime, i.deferredBy]), [
    ["02:30", "quietHours"],
    ["06:30", "quietHours"],
    ["09:00", null],
  ]);
  assert.equal(gapDay[0]?.at, `${gap.date}T11:00:00.000Z`, "07:00 EDT");
  assert.deepEqual(await playWeek(user, start), named(items));
});

suite.test("across New York's fall-back, a repeated 01:30 is listed and delivered once", async () => {
  const user = `up-fall-${suite.placement}`;
  const fallBack = fallBackAfter(await heraldNow(suite.stack));
  const start = fallBack - 2 * DAY;
  await setClock(start);
  await save(user, {
    enabled: true,
    timezone: ZONE,
    types: {
      morningDigest: { enabled: true, times: ["01:30", "08:00"] },
      taskReminder: { enabled: false },
    },
  });
  const items = await upcoming(user);
  assert.equal(items.length, 14);
  const night = items.find((i) =>
    i.localDate === new Date(fallBack).toISOString().slice(0, 10) &&
    i.localTime === "01:30"
  );
  // The first 01:30 is EDT: 05:30Z.
  assert.equal(night?.at.slice(11, 16), "05:30");
  assert.deepEqual(await playWeek(user, start), named(items));
});

suite.test("one-off sends are listed among the occurrences until delivered or cancelled; a switched-off type's is not", async () => {
  const user = `up-once-${suite.placement}`;
  const now = await heraldNow(suite.stack);
  await save(user, {
    enabled: true,
    timezone: ZONE,
    types: {
      morningDigest: { enabled: true, times: ["08:00"] },
      taskReminder: { enabled: false },
    },
  });
  const date = new Date(now + 2 * DAY).toISOString().slice(0, 10);
  const send = async (type: string, time: string) => {
    const res = await suite.stack.admin("/v1/notifications", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        userId: user,
        type,
        title: "Once",
        deliverAt: `${date}T${time}`,
      }),
    });
    assert.equal(res.status, 202, await res.clone().text());
    return z.object({ scheduled: z.object({ id: z.string() }) })
      .parse(await res.json()).scheduled.id;
  };
  const noon = await send("orders.new", "12:00");
  const ten = await send("orders.new", "10:00");
  const off = await send("taskReminder", "11:00");
  const items = await upcoming(user, 3);
  const onDate = items.filter((i) => i.localDate === date);
  assert.deepEqual(
    onDate.map((i) => [i.localTime, i.type, i.scheduledId, i.timezone]),
    [
      ["08:00", "morningDigest", null, ZONE],
      ["10:00", "orders.new", ten, ZONE],
      ["12:00", "orders.new", noon, ZONE],
    ],
    `${off} (switched off) is absent`,
  );
  named(items);
  const cancel = await suite.stack.admin(
    `/v1/notifications/scheduled/${ten}`,
    { method: "DELETE" },
  );
  assert.equal(cancel.status, 200);
  await cancel.body?.cancel();
  const noonAt = Date.parse(
    onDate.find((i) => i.scheduledId === noon)?.at ?? "",
  );
  assert.deepEqual(
    (await upcoming(user, 3)).filter((i) => i.scheduledId !== null)
      .map((i) => i.scheduledId),
    [noon],
  );
  await setClock(noonAt + 60_000);
  assert.ok(
    !(await upcoming(user, 3)).some((i) => i.scheduledId !== null),
    "delivered: no longer upcoming",
  );
  const inbox = await suite.stack.admin(`/v1/users/${user}/notifications`);
  const delivered = z.object({
    items: z.array(z.object({ type: z.string(), createdAt: z.string() })),
  }).parse(await inbox.json()).items.filter((i) => i.type === "orders.new");
  assert.deepEqual(delivered.map((i) => minute(i.createdAt)), [
    minute(new Date(noonAt).toISOString()),
  ]);
});

suite.run();
