import assert from "node:assert/strict";
import { z } from "zod";
import { createClient } from "@libsql/client/web";
import { DEV_QSTASH_TOKEN } from "../../src/dev/qstash/credentials.ts";
import { scheduleIdFor } from "../../src/domain/schedule_plan.ts";
import { fireSchedule, qstashClient } from "../support/qstash.ts";
import { integrationSuite } from "../support/suite.ts";

const suite = integrationSuite("local times in a spring-forward gap");

const delivered = z.object({
  delivered: z.array(z.object({
    scheduleId: z.string().optional(),
    status: z.number(),
    at: z.number(),
  })),
});

async function clock(body: unknown) {
  const res = await fetch(`${suite.stack.standIns.qstashUrl}/v2/dev/clock`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${DEV_QSTASH_TOKEN}`,
      "content-type": "application/json",
    },
    body: JSON.stringify(body),
  });
  return delivered.parse(await res.json()).delivered;
}

/**
 * A 02:30 Paris reminder on Sundays only (the gap is on a Sunday, and few
 * firings to replay); returns the slot's schedule id.
 */
async function saveSundayReminder(user: string): Promise<string> {
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
  assert.equal(res.status, 200);
  await res.body?.cancel();
  return scheduleIdFor(user, "taskReminder", "02:30");
}

suite.test("a 02:30 Paris reminder still fires on the day 02:30 does not exist", async () => {
  const user = "dst-ada";
  const slot = await saveSundayReminder(user);
  const twin = await qstashClient(suite.stack).schedules.get(`${slot}.dst`);
  assert.match(twin.cron, /^CRON_TZ=Europe\/Paris 30 3 \d+ 3 \*$/);
  const day = Number(twin.cron.split(" ")[3]);
  const gapDay = Date.UTC(
    Number(new Date(twin.nextScheduleTime!).getUTCFullYear()),
    2,
    day,
  );

  // Up to the evening before the gap, then across the gap night.
  await clock({ set: gapDay - 12 * 3_600_000 });
  const night = await clock({ set: gapDay + 6 * 3_600_000 });
  const ours = night.filter((d) => d.scheduleId?.startsWith(slot));
  // Only the twin fires, at 03:30 CEST (01:30Z): the slot itself is skipped
  // that day, exactly as QStash's robfig-style cron does.
  assert.deepEqual(
    ours.map((d) => [d.scheduleId, new Date(d.at).toISOString(), d.status]),
    [[`${slot}.dst`, new Date(gapDay + 90 * 60_000).toISOString(), 200]],
  );
  // A week later the regular slot fires at 02:30 CEST again.
  const nextWeek = await clock({
    set: gapDay + 7 * 86_400_000 + 6 * 3_600_000,
  });
  assert.deepEqual(
    nextWeek.filter((d) => d.scheduleId?.startsWith(slot)).map((d) =>
      d.scheduleId
    ),
    [slot],
  );
});

suite.test("a DST twin's delivery plans its user again; a regular slot's does not", async () => {
  const user = "dst-bea";
  const slot = await saveSundayReminder(user);
  // The ledger forgets the slot (QStash still holds it): only a new plan of
  // this user writes it back, which makes the re-plan visible.
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

    assert.equal((await fireSchedule(suite.stack, `${slot}.dst`)).status, 200);
    assert.equal(await inLedger(), true, "the twin's delivery re-plans");
  } finally {
    db.close();
  }
});

suite.run();
