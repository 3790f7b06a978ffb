import { createClient } from "@libsql/client/web";
import { z } from "zod";
import { defaultPreferences } from "../src/domain/preferences/preferences.ts";
import { DEMO } from "../tests/support/demo_catalogue.ts";
import { callsBetween, qstashStats } from "../tests/support/qstash.ts";
import { runView } from "../tests/support/scheduler_bodies.ts";
import { startTestStack } from "../tests/support/test_stack.ts";
import { report } from "./stats.ts";

/**
 * The `fanout` built-in over many active users, publish side: from the
 * trigger to the last page recorded, i.e. one QStash message per user
 * accepted through batch calls (target: 100,000 users in ≤ 60 s). The
 * per-user deliveries that follow run under the job's flow control
 * (parallelism 4 here, so they do not crowd the stand-ins sharing this
 * process); how many landed by then is reported, not waited for.
 * Users are written straight into libSQL. Needs `deno task build`.
 */
const USERS = Number(Deno.env.get("BENCH_USERS") ?? 100_000);
const PAGE_SIZE = Number(Deno.env.get("BENCH_PAGE_SIZE") ?? 1000);
const runBody = z.object({ run: runView });

const stack = await startTestStack({ persist: false });
const db = createClient({ url: stack.standIns.libsqlUrl });

async function seed() {
  const data = JSON.stringify(defaultPreferences(DEMO));
  const id = (i: number) => `f-${String(i).padStart(7, "0")}`;
  const statements = [];
  for (let start = 0; start < USERS; start += 500) {
    const n = Math.min(500, USERS - start);
    statements.push({
      sql: `insert into preferences (user_id, version, data, active, updated_at)
            values ${Array(n).fill("(?, 1, ?, 1, 0)").join(",")}`,
      args: Array.from({ length: n }, (_, k) => [id(start + k), data]).flat(),
    });
    if (statements.length === 20) {
      await db.batch(statements.splice(0), "write");
    }
  }
  if (statements.length) await db.batch(statements, "write");
}

try {
  const setupStarted = performance.now();
  await seed();
  const setupMs = Math.round(performance.now() - setupStarted);
  const put = await stack.admin("/v1/scheduler/jobs/daily-generation", {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      name: "Daily generation",
      trigger: {
        type: "cron",
        cron: "0 6 * * *",
        timezone: "Africa/Lome",
      },
      target: {
        builtin: "fanout",
        type: "morningDigest",
        title: "Your day, {{userId}}",
        pageSize: PAGE_SIZE,
        parallelism: 4,
      },
    }),
  });
  if (!put.ok) throw new Error(`PUT job: ${put.status} ${await put.text()}`);
  await put.body?.cancel();

  const before = await qstashStats(stack);
  const started = performance.now();
  const res = await stack.admin("/v1/scheduler/jobs/daily-generation/trigger", {
    method: "POST",
  });
  let run = runBody.parse(await res.json()).run;
  const firstPageMs = Math.round(performance.now() - started);
  while (run.status === "running") {
    await new Promise((r) => setTimeout(r, 100));
    const poll = await stack.admin(
      `/v1/scheduler/jobs/daily-generation/runs/${run.runId}`,
    );
    run = runBody.parse(await poll.json()).run;
  }
  const publishMs = Math.round(performance.now() - started);
  const calls = callsBetween(before, await qstashStats(stack));
  if (run.status !== "succeeded" || run.progress?.published !== USERS) {
    throw new Error(`fan-out ended ${JSON.stringify(run)}`);
  }
  await report("fanout_job", {
    users: USERS,
    pageSize: PAGE_SIZE,
    setupMs,
    firstPageMs,
    publishMs,
    usersPublishedPerSecond: Math.round(USERS / (publishMs / 1000)),
    pages: run.progress.pages,
    batchCalls: calls["POST /v2/batch"] ?? 0,
    qstashCalls: calls,
    deliveredWhenPublished: run.progress.delivered,
    target: { publishMs: 60_000, met: publishMs <= 60_000 },
  });
} finally {
  db.close();
  await stack.close();
}
