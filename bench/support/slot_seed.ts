import type { Client, InStatement } from "@libsql/client/web";
import type { Client as QStashClient } from "@upstash/qstash";
import { z } from "zod";
import { atMostAtOnce } from "../../src/domain/concurrency/at_most_at_once.ts";
import { encodeOverrides } from "../../src/domain/preferences/preference_overrides.ts";
import {
  membershipId,
  slotSchedule,
} from "../../src/domain/schedules/slot_plan.ts";
import { WEEKDAYS } from "../../src/domain/time/weekday.ts";

/** Rows a seeding statement inserts at once. */
const ROWS_A_STATEMENT = 250;

/**
 * Members of one shared slot, written straight into libSQL (250 rows a
 * statement, preferences and memberships in one batch) rather than through
 * the API: each user wants `taskReminder` at `localTime` UTC every day and
 * nothing else, saved and synced. `slot` is that time's UTC minute, "HHMM".
 */
export async function seedSlotMembers(
  db: Client,
  o: { userIds: readonly string[]; localTime: string; slot: string },
): Promise<void> {
  const now = Date.now();
  const overrides = encodeOverrides({
    enabled: true,
    timezone: "UTC",
    types: {
      morningDigest: { enabled: false },
      taskReminder: {
        enabled: true,
        times: [o.localTime],
        days: [...WEEKDAYS],
      },
      weeklyReport: { enabled: false },
    },
  });
  for (let start = 0; start < o.userIds.length; start += ROWS_A_STATEMENT) {
    const ids = o.userIds.slice(start, start + ROWS_A_STATEMENT);
    const statements: InStatement[] = [
      {
        sql: `insert into preferences (user_id, version, data, active,
                updated_at, synced_version, sync_status)
              values ${
          ids.map(() => "(?, 1, ?, 1, ?, 1, 'synced')").join(",")
        }`,
        args: ids.flatMap((id) => [id, overrides, now]),
      },
      {
        sql:
          `insert into slot_members (id, user_id, type, local_time, slot, since)
              values ${
            ids.map(() => "(?, ?, 'taskReminder', ?, ?, ?)").join(",")
          }`,
        args: ids.flatMap((id) => [
          membershipId({
            userId: id,
            type: "taskReminder",
            localTime: o.localTime,
          }),
          id,
          o.localTime,
          o.slot,
          now,
        ]),
      },
    ];
    await db.batch(statements, "write");
  }
}

/** The slot's firing as QStash holds it: its schedule and Herald's ledger row. */
export async function seedSlotSchedule(
  db: Client,
  qstash: QStashClient,
  o: { slot: string; localTime: string; callbackUrl: string },
): Promise<{ id: string }> {
  const spec = slotSchedule(o.slot, o.callbackUrl);
  await qstash.schedules.create({
    scheduleId: spec.id,
    destination: spec.destination,
    cron: spec.cron,
    body: spec.body,
    headers: { "Content-Type": "application/json" },
  });
  await db.execute({
    sql: `insert into schedules (id, user_id, type, local_time, cron,
            destination, body, paused, updated_at)
          values (?, null, 'slot', ?, ?, ?, ?, 0, ?)`,
    args: [
      spec.id,
      o.localTime,
      spec.cron,
      spec.destination,
      spec.body,
      Date.now(),
    ],
  });
  return { id: spec.id };
}

/**
 * One push subscription per user, from the push stand-in (`POST /subscribe`
 * as a browser's PushManager would, 50 at once) and written straight into
 * libSQL, 250 rows a statement — not through Herald's API, whose PUT is
 * one batch per device. Answers the endpoints in the order of `userIds`.
 */
export async function seedPushSubscriptions(
  db: Client,
  o: {
    pushUrl: string;
    applicationServerKey: string;
    userIds: readonly string[];
  },
): Promise<string[]> {
  const subscription = z.object({
    endpoint: z.string(),
    keys: z.object({ p256dh: z.string(), auth: z.string() }),
  });
  const subs: z.infer<typeof subscription>[] = [];
  const indices = o.userIds.map((_, i) => i);
  await atMostAtOnce(indices, 50, async (i) => {
    const res = await fetch(`${o.pushUrl}/subscribe`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ applicationServerKey: o.applicationServerKey }),
    });
    if (res.status !== 201) throw new Error(`subscribe: ${res.status}`);
    subs[i] = subscription.parse(await res.json());
  });
  const now = Date.now();
  for (let start = 0; start < subs.length; start += ROWS_A_STATEMENT) {
    const rows = subs.slice(start, start + ROWS_A_STATEMENT);
    await db.execute({
      sql: `insert into push_subscriptions (endpoint, user_id, p256dh, auth,
              label, expiration_time, created_at, last_seen_at)
            values ${
        rows.map(() => "(?, ?, ?, ?, 'bench', null, ?, ?)").join(",")
      }`,
      args: rows.flatMap((s, k) => [
        s.endpoint,
        o.userIds[start + k]!,
        s.keys.p256dh,
        s.keys.auth,
        now,
        now,
      ]),
    });
  }
  return subs.map((s) => s.endpoint);
}
