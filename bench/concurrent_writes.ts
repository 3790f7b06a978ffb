import { Client } from "@upstash/qstash";
import { DEV_QSTASH_TOKEN } from "../src/dev/qstash/credentials.ts";
import { planUserSchedules } from "../src/domain/schedule_plan.ts";
import { scheduleOwner } from "../src/domain/schedule_plan.ts";
import { preferencesView } from "../tests/support/bodies.ts";
import { startRemoteStack } from "./support/remote_stack.ts";
import { report } from "./stats.ts";

/**
 * 500 concurrent PATCHes for ONE user through the Worker in workerd, beside
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

/** QStash holds exactly the schedules each user's stored preferences plan. */
async function qstashMatches(users: string[]): Promise<boolean> {
  const held = await qstash.schedules.list();
  for (const userId of users) {
    const want = planUserSchedules(userId, (await view(userId)).preferences, {
      destination: `${stack.url}/v1/qstash/callback`,
    });
    const mine = held.filter((s) =>
      scheduleOwner(s.scheduleId)?.userId === userId
    );
    if (mine.length !== want.length) return false;
    for (const w of want) {
      const h = mine.find((s) => s.scheduleId === w.id);
      if (!h || h.cron !== w.cron || h.body !== w.body) return false;
    }
  }
  return true;
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
