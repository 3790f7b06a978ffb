import { createClient } from "@libsql/client/web";
import { z } from "zod";
import { defaultPreferences } from "../src/domain/preferences.ts";
import { planUserSchedules } from "../src/domain/schedule_plan.ts";
import {
  callsBetween,
  qstashClient,
  qstashStats,
} from "../tests/support/qstash.ts";
import { operationBody } from "../tests/support/scheduler_bodies.ts";
import { startTestStack } from "../tests/support/test_stack.ts";
import { report, timed } from "./stats.ts";

/**
 * A full restart (`POST /v1/scheduler/restart`) over many users on the
 * local stack: a pass with nothing to change (targets: zero QStash writes,
 * ≤ 5 s for 10,000 users) and a pass after 10% of users changed a time.
 * Setup writes preferences and the ledger straight into libSQL and the
 * schedules into QStash with the official client, as a reconciled
 * deployment would hold them. Needs `deno task build`.
 */
const USERS = Number(Deno.env.get("BENCH_USERS") ?? 10_000);
const NOOP_PASSES = 3;
const ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo"];

const stack = await startTestStack({ persist: false });
const destination = `${stack.url}/v1/qstash/callback`;
const db = createClient({ url: stack.standIns.libsqlUrl });
const qstash = qstashClient(stack);
const userId = (i: number) => `r-${String(i).padStart(6, "0")}`;

function prefsOf(i: number, changed: boolean) {
  const prefs = defaultPreferences();
  prefs.timezone = ZONES[i % ZONES.length] ?? "UTC";
  if (changed) prefs.types.taskReminder.times = ["15:00"];
  return prefs;
}

async function seed(): Promise<number> {
  const now = Date.now();
  let schedules = 0;
  for (let start = 0; start < USERS; start += 250) {
    const ids = Array.from(
      { length: Math.min(250, USERS - start) },
      (_, k) => start + k,
    );
    const planned = ids.flatMap((i) =>
      planUserSchedules(userId(i), prefsOf(i, false), { destination, now })
    );
    schedules += planned.length;
    await db.batch([
      {
        sql: `insert into preferences (user_id, version, data, active,
                updated_at, synced_version, sync_status)
              values ${
          ids.map(() => "(?, 1, ?, 1, ?, 1, 'synced')").join(",")
        }`,
        args: ids.flatMap((i) => [
          userId(i),
          JSON.stringify(prefsOf(i, false)),
          now,
        ]),
      },
      {
        sql: `insert into schedules (id, user_id, type, local_time, cron,
                destination, body, paused, updated_at)
              values ${
          planned.map(() => "(?, ?, ?, ?, ?, ?, ?, 0, ?)").join(",")
        }`,
        args: planned.flatMap((s) => [
          s.id,
          s.userId,
          s.type,
          s.localTime,
          s.cron,
          s.destination,
          s.body,
          now,
        ]),
      },
    ], "write");
    // What Herald's own upsert sends (qstash_scheduler.ts), 50 at a time.
    for (let k = 0; k < planned.length; k += 50) {
      await Promise.all(
        planned.slice(k, k + 50).map((s) =>
          qstash.schedules.create({
            scheduleId: s.id,
            destination: s.destination,
            cron: s.cron,
            body: s.body,
            headers: { "Content-Type": "application/json" },
            retries: 3,
          })
        ),
      );
    }
  }
  return schedules;
}

const READS = new Set(["GET /v2/schedules", "GET /v2/schedules/:id"]);

async function restart(label: string) {
  const before = await qstashStats(stack);
  let op: z.infer<typeof operationBody>["operation"] | null = null;
  const ms = await timed(async () => {
    const res = await stack.admin("/v1/scheduler/restart", { method: "POST" });
    op = (operationBody.parse(await res.json())).operation;
    // A restart longer than one call's budget continues through QStash.
    while (op.status === "running") {
      await new Promise((r) => setTimeout(r, 100));
      const poll = await stack.admin(`/v1/scheduler/operations/${op.id}`);
      op = operationBody.parse(await poll.json()).operation;
    }
  });
  const calls = callsBetween(before, await qstashStats(stack));
  const writes = Object.entries(calls)
    .filter(([route]) => !READS.has(route))
    .reduce((sum, [, n]) => sum + n, 0);
  const done = op as z.infer<typeof operationBody>["operation"] | null;
  if (done?.status !== "done") {
    throw new Error(`${label}: restart ended ${JSON.stringify(done)}`);
  }
  return {
    label,
    ms: Math.round(ms),
    qstashCalls: calls,
    qstashWrites: writes,
    progress: done.progress,
  };
}

try {
  const setupStarted = performance.now();
  const schedules = await seed();
  const setupMs = Math.round(performance.now() - setupStarted);
  console.log(`seeded ${USERS} users, ${schedules} schedules in ${setupMs} ms`);

  const noop = [];
  for (let pass = 0; pass < NOOP_PASSES; pass++) {
    noop.push(await restart(`no-op pass ${pass + 1}`));
  }

  // 10% of users moved their task reminder (saved, never reconciled).
  const changedIds = Array.from({ length: USERS }, (_, i) => i)
    .filter((i) => i % 10 === 0);
  for (let k = 0; k < changedIds.length; k += 250) {
    const part = changedIds.slice(k, k + 250);
    await db.batch(
      part.map((i) => ({
        sql: `update preferences set data = ?, version = 2,
              sync_status = 'pending' where user_id = ?`,
        args: [JSON.stringify(prefsOf(i, true)), userId(i)],
      })),
      "write",
    );
  }
  const changed = await restart("10% changed");
  const after = await restart("no-op after the change");

  const best = Math.min(...noop.map((p) => p.ms));
  await report("restart", {
    users: USERS,
    schedules,
    setupMs,
    noop,
    changed: { ...changed, usersChanged: changedIds.length },
    noopAfterChange: after,
    targets: {
      noopQStashWrites: {
        target: 0,
        measured: noop.map((p) => p.qstashWrites),
      },
      noopWallMs: {
        target: 5_000,
        measured: noop.map((p) => p.ms),
        met: best <= 5_000,
      },
    },
  });
} finally {
  db.close();
  await stack.close();
}
