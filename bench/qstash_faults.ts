import { preferencesNo } from "../tests/support/distinct_preferences.ts";
import { startDevStack } from "./support/dev_stack.ts";
import {
  countStatuses,
  notAsAnswered,
  settle,
  type WriteOutcome,
  writePreferences,
} from "./support/settle.ts";
import { report } from "./stats.ts";

/**
 * QStash failing 30% of calls (its own 500) while 100 users write 10 times
 * each through `deno task dev`'s Worker (users at once, each user's writes
 * one after another). Then QStash recovers and the cron trigger runs with
 * the dev clock moved 5 s before each run: how much Herald time (retries
 * back off 5 s doubling) and how many runs until every user is synced and
 * QStash holds exactly their schedules — 0 lost preferences, 0 orphans.
 */
const USERS = Number(Deno.env.get("BENCH_USERS") ?? 100);
const WRITES_PER_USER = 10;
const FAIL_SHARE = 0.3;
const STEP_MS = 5_000;

// Per-user schedules: what convergence() compares (SCHEDULE_PLACEMENT is
// ignored where the shared-slot placement does not exist).
const stack = await startDevStack({ SCHEDULE_PLACEMENT: "per-user" });
try {
  await writePreferences(stack, "PUT", "warm-up", preferencesNo(0));
  const users = Array.from({ length: USERS }, (_, i) => `qf-${i}`);
  const writes = new Map<string, { outcome: WriteOutcome; times: string[] }[]>(
    users.map((u) => [u, []]),
  );
  await stack.faults("qstash", { fail: FAIL_SHARE });
  const started = performance.now();
  await Promise.all(users.map(async (user, u) => {
    for (let w = 0; w < WRITES_PER_USER; w++) {
      const body = preferencesNo((u * WRITES_PER_USER + w) % 720);
      const outcome = await writePreferences(stack, "PUT", user, body);
      writes.get(user)?.push({ outcome, times: body.types.taskReminder.times });
    }
  }));
  const writeWallMs = Math.round(performance.now() - started);
  await stack.faults("qstash");

  const outcomes = [...writes.values()].flat().map((w) => w.outcome);
  const pendingAfterWrites = new Set(
    users.filter((u) => writes.get(u)?.at(-1)?.outcome.reconcile === "pending"),
  ).size;
  const settled = await settle(stack, users, STEP_MS);
  const lost = await notAsAnswered(stack, writes);

  await report("qstash_faults", {
    users: USERS,
    writes: outcomes.length,
    failShare: FAIL_SHARE,
    statuses: countStatuses(outcomes),
    answeredPending: outcomes.filter((o) => o.reconcile === "pending").length,
    usersPendingAfterWrites: pendingAfterWrites,
    writeWallMs,
    afterRecovery: {
      lostPreferences: lost.length,
      divergentUsers: settled.divergent.length,
      orphans: settled.orphans.length,
      stillPending: settled.pending,
      heraldMsToConverge: settled.heraldMs,
      cronRuns: settled.cronRuns,
      wallMsToConverge: settled.wallMs,
    },
  });
} finally {
  await stack.close();
}
