import { preferencesNo } from "../tests/support/distinct_preferences.ts";
import { startDevStack } from "./support/dev_stack.ts";
import {
  countStatuses,
  notAsAnswered,
  settle,
  type WriteOutcome,
  writePreferences,
} from "./support/settle.ts";
import { convergence } from "../tests/support/convergence.ts";
import { report } from "./stats.ts";

/**
 * libSQL gone for 10 s in the middle of 1,000 writes through `deno task
 * dev`'s Worker: 100 users writing 10 times each, one write every 2 s per
 * user (50 writes/s, ~20 s), the outage from 5 s to 15 s (`{"down":
 * 10000}` over HTTP: it comes back by itself). Every write must have
 * answered 2xx and be stored, or answered 503 and not be: per user, one
 * version per 2xx, none per 503, and the last 2xx's content. Then the cron
 * settles what the outage left pending, and QStash's leftovers are counted
 * before and after a restart.
 */
const USERS = Number(Deno.env.get("BENCH_USERS") ?? 100);
const WRITES_PER_USER = 10;
const WRITE_EVERY_MS = 2_000;
const OUTAGE_AT_MS = 5_000;
const OUTAGE_MS = 10_000;

// Per-user schedules: what convergence() compares (SCHEDULE_PLACEMENT is
// ignored where the shared-slot placement does not exist).
const stack = await startDevStack({ SCHEDULE_PLACEMENT: "per-user" });
try {
  await writePreferences(stack, "PUT", "warm-up", preferencesNo(0));
  const users = Array.from({ length: USERS }, (_, i) => `lo-${i}`);
  const writes = new Map<string, { outcome: WriteOutcome; times: string[] }[]>(
    users.map((u) => [u, []]),
  );
  const started = performance.now();
  const outage = new Promise<number>((resolve) =>
    setTimeout(async () => {
      await stack.faults("libsql", { down: OUTAGE_MS });
      resolve(Math.round(performance.now() - started));
    }, OUTAGE_AT_MS)
  );
  await Promise.all(users.map(async (user, u) => {
    // Spread the users over the first interval, then one write each 2 s.
    await new Promise((r) => setTimeout(r, (u * WRITE_EVERY_MS) / USERS));
    for (let w = 0; w < WRITES_PER_USER; w++) {
      const due = performance.now() + WRITE_EVERY_MS;
      const body = preferencesNo((u * WRITES_PER_USER + w) % 720);
      const outcome = await writePreferences(stack, "PUT", user, body);
      writes.get(user)?.push({ outcome, times: body.types.taskReminder.times });
      await new Promise((r) =>
        setTimeout(r, Math.max(0, due - performance.now()))
      );
    }
  }));
  const outageStartedAtMs = await outage;
  const writeWallMs = Math.round(performance.now() - started);

  const outcomes = [...writes.values()].flat().map((w) => w.outcome);
  const halfApplied = await notAsAnswered(stack, writes);
  const settled = await settle(stack, users, 30_100);
  const restart = await stack.admin("/v1/scheduler/restart", {
    method: "POST",
  });
  await restart.body?.cancel();
  const afterRestart = await convergence(stack, stack.qstash, users);

  await report("libsql_outage", {
    users: USERS,
    writes: outcomes.length,
    outage: { atMs: outageStartedAtMs, forMs: OUTAGE_MS },
    writeWallMs,
    statuses: countStatuses(outcomes),
    answeredPendingWhileSaved: outcomes.filter((o) => o.reconcile === "pending")
      .length,
    usersNotAsAnswered: halfApplied.length,
    afterCron: {
      divergentUsers: settled.divergent.length,
      orphans: settled.orphans.length,
      stillPending: settled.pending,
      heraldMs: settled.heraldMs,
      cronRuns: settled.cronRuns,
    },
    afterRestart: {
      status: restart.status,
      divergentUsers: afterRestart.divergent.length,
      orphans: afterRestart.orphans.length,
    },
  });
} finally {
  await stack.close();
}
