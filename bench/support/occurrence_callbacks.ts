import { createClient } from "@libsql/client";
import {
  DEV_QSTASH_CURRENT_SIGNING_KEY,
  signDelivery,
} from "@herald/standin-qstash";
import { defaultPreferences } from "../../src/domain/preferences/preferences.ts";
import { DEMO } from "../../tests/support/demo_catalogue.ts";

/**
 * What the real-time benchmarks (latency.ts, cost.ts) fire: QStash's signed
 * deliveries of distinct per-user occurrences, each a new notification.
 * Every demo type at 24 local times — type t at 0t:00 … 0t:23 — so a user
 * has 96 occurrences to spend before one repeats (a repeat is a duplicate).
 */
const TYPES = [
  "morningDigest",
  "taskReminder",
  "eveningSummary",
  "weeklyReport",
] as const;

export interface Occurrence {
  type: string;
  localTime: string;
}

export const OCCURRENCES: readonly Occurrence[] = TYPES.flatMap((type, t) =>
  Array.from({ length: 24 }, (_, m) => ({
    type,
    localTime: `0${t}:${String(m).padStart(2, "0")}`,
  }))
);

/**
 * The users' preferences, written straight into libSQL (as a restore
 * would), 500 a statement: each type on at its 24 local times, every day,
 * in UTC. The callback path reads them; no QStash schedule is needed to
 * post a delivery, and tens of thousands of them would only slow set-up.
 */
export async function seedOccurrenceUsers(
  libsqlUrl: string,
  userIds: readonly string[],
): Promise<void> {
  const prefs = defaultPreferences(DEMO);
  for (const type of TYPES) {
    prefs.types[type] = {
      enabled: true,
      times: OCCURRENCES.filter((o) => o.type === type).map((o) => o.localTime),
      days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
      channels: { push: false },
    };
  }
  const data = JSON.stringify({ ...prefs, enabled: true, timezone: "UTC" });
  const db = createClient({ url: libsqlUrl });
  try {
    for (let i = 0; i < userIds.length; i += 500) {
      const ids = userIds.slice(i, i + 500);
      await db.execute({
        sql:
          `insert into preferences (user_id, version, data, active, updated_at)
              values ${ids.map(() => "(?, 1, ?, 1, 0)").join(", ")}`,
        args: ids.flatMap((id) => [id, data]),
      });
    }
  } finally {
    db.close();
  }
}

/** Signs and posts QStash's delivery of one user's occurrence to Herald. */
export async function postOccurrence(
  heraldUrl: string,
  userId: string,
  o: Occurrence,
): Promise<Response> {
  const body = JSON.stringify({
    kind: "user-schedule",
    userId,
    type: o.type,
    localTime: o.localTime,
  });
  const url = `${heraldUrl}/v1/qstash/callback`;
  const signature = await signDelivery({
    signingKey: DEV_QSTASH_CURRENT_SIGNING_KEY,
    url,
    body: new TextEncoder().encode(body),
    nowSeconds: Math.floor(Date.now() / 1000),
  });
  return await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "upstash-signature": signature,
      "upstash-message-id": `msg_bench_${crypto.randomUUID()}`,
      "upstash-retried": "0",
    },
    body,
  });
}
