import { preferencesNo } from "../tests/support/distinct_preferences.ts";
import { startDevStack } from "./support/dev_stack.ts";
import { countStatuses, settle, writePreferences } from "./support/settle.ts";
import { report } from "./stats.ts";

/**
 * `deno task dev` under a burst (issue 15, item 2): 200 users × 5
 * concurrent writes, then 500 concurrent PATCHes for one user, through the
 * dev launcher's Worker — answers, workerd's open files (peak, and how soon
 * they are back to their idle count), "Too many open files" in the stack's
 * output, and whether QStash ends up holding exactly what every user saved.
 * Only Herald's HTTP API is used, so it measures whatever write path is
 * behind it.
 */
const USERS = Number(Deno.env.get("BENCH_USERS") ?? 200);
const WRITES_PER_USER = 5;
const ONE_USER_WRITES = Number(Deno.env.get("BENCH_ONE_USER") ?? 500);
const BACK_TO_IDLE_WITHIN_MS = 10_000;

// Per-user schedules: what convergence() compares (SCHEDULE_PLACEMENT is
// ignored where the shared-slot placement does not exist).
const stack = await startDevStack({ SCHEDULE_PLACEMENT: "per-user" });

/** Samples workerd's open files every 50 ms while `work` runs. */
async function watchFiles<T>(work: () => Promise<T>) {
  let peak = stack.workerdFiles();
  const sampler = setInterval(() => {
    peak = Math.max(peak, stack.workerdFiles());
  }, 50);
  const started = performance.now();
  try {
    const result = await work();
    return { result, wallMs: Math.round(performance.now() - started), peak };
  } finally {
    clearInterval(sampler);
  }
}

/** How long workerd takes to hold no more files than at idle (or null). */
async function backToIdle(idle: number) {
  const started = performance.now();
  while (performance.now() - started < BACK_TO_IDLE_WITHIN_MS) {
    if (stack.workerdFiles() <= idle) {
      return Math.round(performance.now() - started);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return null;
}

try {
  // Warm: the isolate's first requests, then the count at rest.
  await writePreferences(stack, "PUT", "warm-up", preferencesNo(0));
  await new Promise((r) => setTimeout(r, 1_000));
  const idle = stack.workerdFiles();

  const users = Array.from({ length: USERS }, (_, i) => `burst-${i}`);
  const burst = await watchFiles(() =>
    Promise.all(
      users.flatMap((user, u) =>
        Array.from({ length: WRITES_PER_USER }, (_, w) =>
          writePreferences(
            stack,
            "PATCH",
            user,
            preferencesNo(u * WRITES_PER_USER + w),
          ))
      ),
    )
  );
  const burstIdleMs = await backToIdle(idle);
  const burstFilesAfter = stack.workerdFiles();
  const settled = await settle(stack, users, 30_100);

  const oneUser = await watchFiles(() =>
    Promise.all(
      Array.from(
        { length: ONE_USER_WRITES },
        (_, i) =>
          writePreferences(stack, "PATCH", "one-user", preferencesNo(i)),
      ),
    )
  );
  const oneUserIdleMs = await backToIdle(idle);
  const health = await stack.admin("/health");
  await health.body?.cancel();

  await report("dev_burst", {
    idleFiles: idle,
    usersTimesWrites: {
      users: USERS,
      writesPerUser: WRITES_PER_USER,
      statuses: countStatuses(burst.result),
      wallMs: burst.wallMs,
      peakFiles: burst.peak,
      backToIdleMs: burstIdleMs,
      filesAfter10s: burstIdleMs === null ? burstFilesAfter : idle,
      settled: {
        divergentUsers: settled.divergent.length,
        orphans: settled.orphans.length,
        pending: settled.pending,
        heraldMs: settled.heraldMs,
        cronRuns: settled.cronRuns,
        wallMs: settled.wallMs,
      },
    },
    oneUserConcurrent: {
      writes: ONE_USER_WRITES,
      statuses: countStatuses(oneUser.result),
      wallMs: oneUser.wallMs,
      peakFiles: oneUser.peak,
      backToIdleMs: oneUserIdleMs,
      healthAfter: health.status,
    },
    tooManyOpenFiles: stack.linesWith("Too many open files"),
    restartedMidRequest: stack.linesWith("restarted mid-request"),
  });
} finally {
  await stack.close();
}
