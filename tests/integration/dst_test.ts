import assert from "node:assert/strict";
import { z } from "zod";
import { createClient } from "@libsql/client/web";
import { nextGapFor } from "../../src/domain/time/dst_gap.ts";
import { scheduleIdFor } from "../../src/domain/schedules/schedule_plan.ts";
import { fireSchedule } from "../support/qstash.ts";
import { heraldNow, setDevClock, userJobs } from "../support/placement.ts";
import { integrationSuite } from "../support/suite.ts";

/**
 * Daylight saving, whichever placement: a local time inside the
 * spring-forward gap is delivered once, at the instant the gap moves it to,
 * and a time the fall-back repeats is delivered once — never zero, never
 * two. Per-user placement gets there with a one-date twin schedule; shared
 * slots by asking each member, at each firing, whether that instant is an
 * occurrence of theirs.
 */
const suite = integrationSuite("daylight saving changes", {
  placements: ["slots", "per-user"],
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const setClock = (at: number) => setDevClock(suite.stack, at);

/** A 02:30 Paris reminder on Sundays only (the changes fall on Sundays). */
async function saveSundayReminder(user: string): Promise<void> {
  const res = await suite.stack.admin(`/v1/users/${user}/preferences`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      enabled: true,
      timezone: "Europe/Paris",
      types: {
        taskReminder: { enabled: true, times: ["02:30"], days: ["sun"] },
      },
    }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  await res.body?.cancel();
}

const inboxItems = z.object({
  items: z.array(z.object({
    createdAt: z.string(),
    data: z.object({ occurrence: z.object({ localDate: z.string() }) }),
  })),
});

/** When the user's notifications for one local date were made. */
async function deliveredOn(user: string, date: string): Promise<number[]> {
  const res = await suite.stack.admin(
    `/v1/users/${user}/notifications?limit=100`,
  );
  const { items } = inboxItems.parse(await res.json());
  return items.filter((i) => i.data.occurrence.localDate === date)
    .map((i) => Date.parse(i.createdAt));
}

/** The minute an instant falls in. */
const minuteOf = (ms: number) => Math.floor(ms / 60_000) * 60_000;
const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

suite.test("a 02:30 Paris reminder is delivered once on the day 02:30 does not exist, at 03:30", async () => {
  const user = `dst-ada-${suite.placement}`;
  await saveSundayReminder(user);
  const gap = nextGapFor("Europe/Paris", "02:30", await heraldNow(suite.stack));
  assert.ok(gap);
  const gapDay = Date.parse(`${gap.date}T00:00:00Z`);
  // Up to the evening before the gap, then across the gap night.
  await setClock(gapDay - 12 * HOUR);
  await setClock(gapDay + 6 * HOUR);
  // 03:30 CEST is 01:30Z: one notification, for the gap day.
  assert.deepEqual(
    (await deliveredOn(user, gap.date)).map(minuteOf),
    [gapDay + 90 * 60_000],
  );
  // A week later the regular time fires again, at 02:30 CEST (00:30Z).
  await setClock(gapDay + 7 * DAY + 6 * HOUR);
  assert.deepEqual(
    (await deliveredOn(user, dateOf(gapDay + 7 * DAY))).map(minuteOf),
    [gapDay + 7 * DAY + 30 * 60_000],
  );
});

suite.test("a 02:30 Paris reminder is delivered once on the night 02:30 happens twice", async () => {
  const user = `dst-cy-${suite.placement}`;
  await saveSundayReminder(user);
  // The last Sunday of October after Herald's clock: two 02:30s.
  const now = await heraldNow(suite.stack);
  const year = new Date(now).getUTCFullYear();
  const fallBack = (y: number) => {
    const d = new Date(Date.UTC(y, 9, 31));
    d.setUTCDate(31 - d.getUTCDay());
    return d.getTime();
  };
  const day = fallBack(year) > now ? fallBack(year) : fallBack(year + 1);
  await setClock(day - 12 * HOUR);
  await setClock(day + 6 * HOUR);
  // The first 02:30, CEST, is 00:30Z; the second, CET, delivers nothing.
  assert.equal((await deliveredOn(user, dateOf(day))).length, 1);
});

suite.test("after its gap day a member's plan moves on: a twin re-plans (per-user), a member changes slot (slots)", async () => {
  const user = `dst-bea-${suite.placement}`;
  await saveSundayReminder(user);
  if (suite.placement === "per-user") {
    const slot = scheduleIdFor(user, "taskReminder", "02:30");
    // The ledger forgets the slot (QStash still holds it): only a new plan
    // of this user writes it back, which makes the re-plan visible.
    const db = createClient({ url: suite.stack.standIns.libsqlUrl });
    const inLedger = async () =>
      (await db.execute({
        sql: "select count(*) as n from schedules where id = ?",
        args: [slot],
      })).rows[0]?.n === 1;
    try {
      await db.execute({
        sql: "delete from schedules where id = ?",
        args: [slot],
      });
      // A delivery's answer comes once its re-plan, if any, is done.
      assert.equal((await fireSchedule(suite.stack, slot)).status, 200);
      assert.equal(await inLedger(), false, "the slot itself plans nothing");
      assert.equal(
        (await fireSchedule(suite.stack, `${slot}.dst`)).status,
        200,
      );
      assert.equal(await inLedger(), true, "the twin's delivery re-plans");
    } finally {
      db.close();
    }
    return;
  }
  // In winter the member is in the 01:30Z slot; across the spring-forward
  // it is served from there once more (the gap day) and then moves to
  // 00:30Z, where 02:30 CEST falls.
  const gap = nextGapFor("Europe/Paris", "02:30", await heraldNow(suite.stack));
  assert.ok(gap);
  const gapDay = Date.parse(`${gap.date}T00:00:00Z`);
  await setClock(gapDay - 12 * HOUR);
  const slotOf = async () =>
    [...(await userJobs(suite.stack, user)).values()].map((j) => j.slot);
  assert.deepEqual(await slotOf(), ["0130"]);
  await setClock(gapDay + 6 * HOUR);
  assert.deepEqual(await slotOf(), ["0030"]);
});

suite.run();
