import { Client } from "@upstash/qstash";
import { z } from "zod";
import { DEV_QSTASH_TOKEN } from "@herald/standin-qstash";
import {
  planUserSchedules,
  scheduleOwner,
} from "../src/domain/schedules/schedule_plan.ts";
import {
  membershipId,
  planMemberships,
  slotSchedule,
} from "../src/domain/schedules/slot_plan.ts";
import { preferencesView } from "../tests/support/bodies.ts";
import { statusBody } from "../tests/support/scheduler_bodies.ts";
import { startRemoteStack } from "./support/remote_stack.ts";
import { report } from "./stats.ts";

/**
 * 500 concurrent PATCHes for ONE user through the Worker in workerd (the
 * default placement, shared slots), beside
 * its floor in the same run: 500 concurrent PATCHes for 500 different users
 * (no two writers share a row). Reports the wall time, every status, the SQL
 * statements libSQL ran per write, how long until QStash held the final
 * version's schedules, and whether it holds exactly those.
 * Needs `deno task build`.
 */
const WRITES = Number(Deno.env.get("BENCH_WRITES") ?? 500);

const stack = await startRemoteStack();
const qstash = new Client({
  baseUrl: stack.qstashUrl,
  token: DEV_QSTASH_TOKEN,
  retry: false,
});

const initial = {
  enabled: true,
  timezone: "Europe/Paris",
  types: { taskReminder: { enabled: true, times: ["14:00"] } },
};
/** The i-th distinct one-time change: a time between 00:00 and 23:59. */
const change = (i: number) => ({
  types: {
    taskReminder: {
      times: [
        `${String(Math.floor(i / 60) % 24).padStart(2, "0")}:${
          String(i % 60).padStart(2, "0")
        }`,
      ],
    },
  },
});

async function write(method: string, userId: string, body: unknown) {
  const res = await stack.admin(`/v1/users/${userId}/preferences`, {
    method,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  await res.body?.cancel();
  return res.status;
}

async function burst(label: string, userOf: (i: number) => string) {
  const before = await stack.libsqlStatements();
  const started = performance.now();
  const statuses = await Promise.all(
    Array.from(
      { length: WRITES },
      (_, i) => write("PATCH", userOf(i), change(i)),
    ),
  );
  const wallMs = performance.now() - started;
  const users = [
    ...new Set(Array.from({ length: WRITES }, (_, i) => userOf(i))),
  ];
  const settledMs = await untilSynced(users) - started;
  const after = await stack.libsqlStatements();
  const byStatus: Record<string, number> = {};
  for (const s of statuses) byStatus[s] = (byStatus[s] ?? 0) + 1;
  return {
    label,
    writes: WRITES,
    wallMs: Math.round(wallMs),
    settledMs: Math.round(settledMs),
    byStatus,
    conflicts409: byStatus["409"] ?? 0,
    sqlStatementsPerWrite: (after.statements - before.statements) / WRITES,
    sqlWritesPerWrite: (after.writes - before.writes) / WRITES,
    qstashMatchesFinalVersion: await qstashMatches(users),
  };
}

/** Resolves (with the time) once every user's latest version is in QStash. */
async function untilSynced(users: string[]): Promise<number> {
  for (;;) {
    const views = await Promise.all(users.map(view));
    if (
      views.every((v) =>
        v.sync.status === "synced" && v.sync.syncedVersion === v.version
      )
    ) return performance.now();
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function view(userId: string) {
  const res = await stack.admin(`/v1/users/${userId}/preferences`);
  return preferencesView.parse(await res.json());
}

/**
 * Herald holds exactly what each user's stored preferences plan, under
 * whichever placement the stack runs: per-user, their QStash schedules;
 * shared slots, their members (as the status API lists them) in the slots
 * of their next occurrences, each slot's schedule held by QStash.
 */
async function qstashMatches(users: string[]): Promise<boolean> {
  const held = await qstash.schedules.list();
  const heldIds = new Set(held.map((s) => s.scheduleId));
  const destination = `${stack.url}/v1/qstash/callback`;
  const now = await heraldNow();
  for (const userId of users) {
    const { preferences } = await view(userId);
    const mine = held.filter((s) =>
      scheduleOwner(s.scheduleId)?.userId === userId
    );
    const want = planUserSchedules(userId, preferences, { destination });
    const perUser = mine.length === want.length && want.every((w) => {
      const h = mine.find((s) => s.scheduleId === w.id);
      return h !== undefined && h.cron === w.cron && h.body === w.body;
    });
    if (perUser && want.length > 0) continue;
    const members = await membersOf(userId);
    const planned = planMemberships(userId, preferences, now);
    const slots = mine.length === 0 && members.size === planned.length &&
      planned.every((m) =>
        members.get(membershipId(m)) === m.slot &&
        heldIds.has(slotSchedule(m.slot, destination).id)
      );
    if (!perUser && !slots) return false;
  }
  return true;
}

/** A user's slot members, id → slot, from the status API. */
async function membersOf(userId: string): Promise<Map<string, string>> {
  const res = await stack.admin(
    `/v1/scheduler/status?userId=${encodeURIComponent(userId)}&limit=200`,
  );
  const { jobs } = statusBody.parse(await res.json());
  return new Map(
    jobs.flatMap((job) => job.slot ? [[job.id, job.slot] as const] : []),
  );
}

/** Herald's clock on the local stack: the QStash dev server's. */
async function heraldNow(): Promise<number> {
  const res = await fetch(`${stack.qstashUrl}/v2/dev/clock`, {
    headers: { authorization: `Bearer ${DEV_QSTASH_TOKEN}` },
  });
  return z.object({ now: z.number() }).parse(await res.json()).now;
}

try {
  await write("PUT", "hot", initial);
  await Promise.all(
    Array.from(
      { length: WRITES },
      (_, i) => write("PUT", `cold-${i}`, initial),
    ),
  );
  const floor = await burst(
    "500 writers, 500 users (floor)",
    (i) => `cold-${i}`,
  );
  const contended = await burst("500 writers, one user", () => "hot");
  await report("concurrent_writes", {
    contended,
    floor,
    wallRatio: Math.round(contended.wallMs / floor.wallMs * 100) / 100,
  });
} finally {
  await stack.close();
}
