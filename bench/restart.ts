import {
  type Client,
  createClient,
  type InStatement,
} from "@libsql/client/web";
import type { Client as QStashClient } from "@upstash/qstash";
import { z } from "zod";
import {
  encodeOverrides,
  type PreferenceOverrides,
} from "../src/domain/preferences/preference_overrides.ts";
import { planUserSchedules } from "../src/domain/schedules/schedule_plan.ts";
import {
  membershipId,
  planMemberships,
  slotSchedule,
} from "../src/domain/schedules/slot_plan.ts";
import { type Member, population } from "./support/population.ts";
import {
  callsBetween,
  qstashClient,
  qstashStats,
} from "../tests/support/qstash.ts";
import { operationBody } from "../tests/support/scheduler_bodies.ts";
import { startTestStack, type TestStack } from "../tests/support/test_stack.ts";
import { report, timed } from "./stats.ts";

/**
 * A full restart (`POST /v1/scheduler/restart`) on the local stack, for
 * each placement, over the realistic population (bench/support/
 * population.ts): passes with nothing to change (goal: ≤ 10 s for 100,000
 * users under shared slots, zero QStash writes) and a pass after 10% of
 * users changed a time. Setup writes preferences, members and the ledger
 * straight into libSQL and the schedules into QStash with the official
 * client, as a reconciled deployment would hold them. Per-user placement
 * runs over fewer users (BENCH_PER_USER_USERS, default 10,000): at 100,000
 * it holds ~260,000 QStash schedules, and every restart reads them all in
 * one unpaginated list. Needs `deno task build`.
 */
const SLOT_USERS = Number(Deno.env.get("BENCH_USERS") ?? 100_000);
const PER_USER_USERS = Number(Deno.env.get("BENCH_PER_USER_USERS") ?? 10_000);
const NOOP_PASSES = 3;

type Placement = "slots" | "per-user";

async function runPlacement(placement: Placement, count: number) {
  const stack = await startTestStack({
    persist: false,
    vars: { SCHEDULE_PLACEMENT: placement },
  });
  const destination = `${stack.url}/v1/qstash/callback`;
  const db = createClient({ url: stack.standIns.libsqlUrl });
  const qstash = qstashClient(stack);
  const users = population(count, { prefix: "r-" });
  try {
    const setupStarted = performance.now();
    const seeded = await seed(placement, users, { db, qstash, destination });
    const setupMs = Math.round(performance.now() - setupStarted);
    console.log(
      `${placement}: seeded ${count} users, ${seeded.schedules} schedules, ${seeded.members} members in ${setupMs} ms`,
    );
    const noop = [];
    for (let pass = 0; pass < NOOP_PASSES; pass++) {
      noop.push(await restart(stack, `no-op pass ${pass + 1}`));
    }
    // 10% of users moved their task reminder (saved, never reconciled).
    const changed = users.filter((_, i) => i % 10 === 0);
    for (let k = 0; k < changed.length; k += 250) {
      await db.batch(
        changed.slice(k, k + 250).map((u) => ({
          sql: `update preferences set data = ?, version = 2,
                sync_status = 'pending' where user_id = ?`,
          args: [encodeOverrides(moved(u.overrides)), u.userId],
        })),
        "write",
      );
    }
    const afterChange = await restart(stack, "10% changed");
    const after = await restart(stack, "no-op after the change");
    return {
      placement,
      users: count,
      ...seeded,
      setupMs,
      noop,
      changed: { ...afterChange, usersChanged: changed.length },
      noopAfterChange: after,
    };
  } finally {
    db.close();
    await stack.close();
  }
}

/** The task reminder at 15:00 on top of what the user chose. */
function moved(o: PreferenceOverrides): PreferenceOverrides {
  return {
    ...o,
    types: {
      ...o.types,
      taskReminder: {
        ...o.types?.taskReminder,
        enabled: true,
        times: ["15:00"],
      },
    },
  };
}

async function seed(
  placement: Placement,
  users: Member[],
  io: { db: Client; qstash: QStashClient; destination: string },
): Promise<{ schedules: number; members: number }> {
  const now = Date.now();
  let schedules = 0;
  let members = 0;
  const slots = new Set<string>();
  for (let start = 0; start < users.length; start += 250) {
    const page = users.slice(start, start + 250);
    const statements: InStatement[] = [{
      sql: `insert into preferences (user_id, version, data, active,
              updated_at, synced_version, sync_status)
            values ${page.map(() => "(?, 1, ?, ?, ?, 1, 'synced')").join(",")}`,
      args: page.flatMap((u) => [
        u.userId,
        encodeOverrides(u.overrides),
        isActive(u) ? 1 : 0,
        now,
      ]),
    }];
    if (placement === "per-user") {
      const planned = page.flatMap((u) =>
        planUserSchedules(u.userId, u.prefs, {
          destination: io.destination,
          now,
        })
      );
      schedules += planned.length;
      if (planned.length) {
        statements.push({
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
        });
      }
      await io.db.batch(statements, "write");
      // What Herald's own upsert sends (qstash_scheduler.ts), 50 at a time.
      for (let k = 0; k < planned.length; k += 50) {
        await Promise.all(
          planned.slice(k, k + 50).map((s) => create(io.qstash, s)),
        );
      }
      continue;
    }
    const planned = page.flatMap((u) =>
      planMemberships(u.userId, u.prefs, now)
    );
    members += planned.length;
    for (const m of planned) slots.add(m.slot);
    if (planned.length) {
      statements.push({
        sql:
          `insert into slot_members (id, user_id, type, local_time, slot, since)
              values ${planned.map(() => "(?, ?, ?, ?, ?, ?)").join(",")}`,
        args: planned.flatMap((m) => [
          membershipId(m),
          m.userId,
          m.type,
          m.localTime,
          m.slot,
          now,
        ]),
      });
    }
    await io.db.batch(statements, "write");
  }
  for (const slot of slots) {
    const spec = slotSchedule(slot, io.destination);
    await create(io.qstash, spec);
    await io.db.execute({
      sql: `insert into schedules (id, user_id, type, local_time, cron,
              destination, body, paused, updated_at)
            values (?, null, 'slot', ?, ?, ?, ?, 0, ?)`,
      args: [
        spec.id,
        `${slot.slice(0, 2)}:${slot.slice(2)}`,
        spec.cron,
        spec.destination,
        spec.body,
        now,
      ],
    });
    schedules++;
  }
  return { schedules, members };
}

function create(
  qstash: QStashClient,
  s: { id: string; destination: string; cron: string; body: string },
) {
  return qstash.schedules.create({
    scheduleId: s.id,
    destination: s.destination,
    cron: s.cron,
    body: s.body,
    headers: { "Content-Type": "application/json" },
    retries: 5,
  });
}

function isActive(u: Member): boolean {
  return u.prefs.enabled &&
    Object.values(u.prefs.types).some((t) => t.enabled);
}

/** Calls that change a schedule (a continuation message is not one). */
const SCHEDULE_WRITE = /^(POST|PUT|PATCH|DELETE) \/v2\/schedules/;

async function restart(stack: TestStack, label: string) {
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
    .filter(([route]) => SCHEDULE_WRITE.test(route))
    .reduce((sum, [, n]) => sum + n, 0);
  const done = op as z.infer<typeof operationBody>["operation"] | null;
  if (done?.status !== "done") {
    throw new Error(`${label}: restart ended ${JSON.stringify(done)}`);
  }
  return {
    label,
    ms: Math.round(ms),
    qstashCalls: calls,
    qstashScheduleWrites: writes,
    progress: done.progress,
  };
}

const slots = await runPlacement("slots", SLOT_USERS);
const perUser = await runPlacement("per-user", PER_USER_USERS);
await report("restart", {
  slots,
  perUser,
  goals: {
    slotsNoopWallMs: {
      goal: 10_000,
      measured: slots.noop.map((p) => p.ms),
      met: Math.min(...slots.noop.map((p) => p.ms)) <= 10_000,
    },
    noopQStashWrites: {
      goal: 0,
      measured: [...slots.noop, ...perUser.noop].map((p) =>
        p.qstashScheduleWrites
      ),
    },
  },
});
