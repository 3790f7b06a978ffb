import { createClient } from "@libsql/client/web";
import { Client } from "@upstash/qstash";
import { sign } from "hono/jwt";
import { z } from "zod";
import { DEV_QSTASH_TOKEN } from "@herald/standin-qstash";
import { ensureFileLimit } from "./support/file_limit.ts";
import { startRemoteStack } from "./support/remote_stack.ts";
import { seedSlotMembers, seedSlotSchedule } from "./support/slot_seed.ts";
import { SseFleet } from "./support/sse_fleet.ts";
import { report } from "./stats.ts";

/**
 * One shared slot with 10,000 members fires (BENCH_MEMBERS), on the local
 * stack laid out as `deno task dev` runs it: how long until every member's
 * notification is in libSQL and has reached every live subscriber among
 * them (BENCH_LIVE, one SSE stream each, opened beforehand), and how many
 * QStash messages the firing spent (the schedule's own, then one per page).
 * Goal: ≤ 30 s on the local stack. Setup writes preferences and members
 * straight into libSQL (support/slot_seed.ts). Needs `deno task build`.
 */
const MEMBERS = Number(Deno.env.get("BENCH_MEMBERS") ?? 10_000);
const LIVE = Math.min(MEMBERS, Number(Deno.env.get("BENCH_LIVE") ?? 1_000));
const SLOT = "1000";

await ensureFileLimit(LIVE * 2);
const stack = await startRemoteStack();
const db = createClient({ url: stack.libsqlUrl });
const qstash = new Client({
  baseUrl: stack.qstashUrl,
  token: DEV_QSTASH_TOKEN,
  retry: false,
});
const userId = (i: number) => `f-${String(i).padStart(6, "0")}`;
let fleet: SseFleet | null = null;

try {
  const now = Date.now();
  await seedSlotMembers(db, {
    userIds: Array.from({ length: MEMBERS }, (_, i) => userId(i)),
    localTime: "10:00",
    slot: SLOT,
  });
  const spec = await seedSlotSchedule(db, qstash, {
    slot: SLOT,
    localTime: "10:00",
    callbackUrl: `${stack.url}/v1/qstash/callback`,
  });

  // Live subscribers: the first LIVE members, one stream each.
  const { hostname, port } = new URL(stack.url);
  const specs = await Promise.all(
    Array.from({ length: LIVE }, async (_, i) => ({
      path: "/v1/stream",
      headers: {
        authorization: `Bearer ${await sign(
          { sub: userId(i), exp: Math.floor(now / 1000) + 3_600 },
          stack.jwtSecret,
          "HS256",
        )}`,
      },
    })),
  );
  fleet = await SseFleet.open(specs, {
    hostname,
    port: Number(port),
    readyMarker: "event: connected",
    concurrency: 50,
    timeoutMs: 300_000,
  });

  const live = fleet.expect("event: notification", null, 300_000);
  const nextRun = (await qstash.schedules.get(spec.id)).nextScheduleTime;
  if (!nextRun) throw new Error("the slot has no next run");
  const t0 = performance.now();
  const res = await fetch(`${stack.qstashUrl}/v2/dev/clock`, {
    method: "POST",
    headers: { authorization: `Bearer ${DEV_QSTASH_TOKEN}` },
    body: JSON.stringify({ set: nextRun }),
  });
  const { delivered } = z.object({
    delivered: z.array(z.object({ status: z.number(), messageId: z.string() })),
  }).parse(await res.json());
  // The advance answers once QStash has delivered the firing and every page.
  const writtenMs = performance.now() - t0;
  const arrivals = await live;
  const liveMs = Math.max(...arrivals.at) - t0;
  const rows = await db.execute(
    "select count(*) as n from notifications where source = 'schedule'",
  );
  await report("slot_firing", {
    members: MEMBERS,
    live: LIVE,
    notificationsWritten: Number(rows.rows[0]?.n),
    liveReceived: arrivals.received,
    qstashMessages: delivered.length,
    failedAttempts: delivered.filter((d) => d.status !== 200).length,
    allWrittenMs: Math.round(writtenMs),
    allLiveMs: Math.round(liveMs),
    goalMs: 30_000,
  });
} finally {
  fleet?.close();
  db.close();
  await stack.close();
}
