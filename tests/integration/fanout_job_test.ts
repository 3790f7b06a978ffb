import assert from "node:assert/strict";
import { createClient } from "@libsql/client/web";
import { z } from "zod";
import { defaultPreferences } from "../../src/domain/preferences/preferences.ts";
import { DEMO } from "../support/demo_catalogue.ts";
import { read } from "../support/bodies.ts";
import { deliver, signedDelivery } from "../support/deliveries.ts";
import { callsBetween, qstashDrained, qstashStats } from "../support/qstash.ts";
import { runView } from "../support/scheduler_bodies.ts";
import { integrationSuite } from "../support/suite.ts";
import { eventually } from "@herald/testing";

// The host app's per-user generation webhook; one user always fails.
const generated: string[] = [];
const host = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen() {} },
  async (req) => {
    const { userId } = z.object({ userId: z.string() }).parse(await req.json());
    if (userId === "gen-broken") return new Response("no", { status: 500 });
    generated.push(userId);
    return Response.json({ title: `Your plan, ${userId}`, data: { items: 3 } });
  },
);

const suite = integrationSuite("fan-out jobs over every user with a type on");
suite.onClose(() => host.shutdown());
const { test } = suite;
const runBody = z.object({ run: runView });

/** Active (or not) users written straight into libSQL, 500 a statement. */
async function seedUsers(
  ids: readonly string[],
  active = true,
  data = JSON.stringify(defaultPreferences(DEMO)),
) {
  const db = createClient({ url: suite.stack.standIns.libsqlUrl });
  for (let i = 0; i < ids.length; i += 500) {
    const page = ids.slice(i, i + 500);
    await db.execute({
      sql: `insert into preferences (user_id, version, data, active, updated_at)
            values ${page.map(() => "(?, 1, ?, ?, 0)").join(", ")}`,
      args: page.flatMap((id) => [id, data, active ? 1 : 0]),
    });
  }
  db.close();
}

async function putJob(id: string, target: unknown) {
  const res = await suite.stack.admin(`/v1/scheduler/jobs/${id}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      name: "Daily generation",
      trigger: {
        type: "cron",
        cron: "0 6 * * *",
        timezone: "Africa/Lome",
      },
      target,
    }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  await res.body?.cancel();
}

async function trigger(id: string) {
  const res = await suite.stack.admin(`/v1/scheduler/jobs/${id}/trigger`, {
    method: "POST",
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await read(res, runBody)).run;
}

function runUntil(
  jobId: string,
  runId: string,
  done: (run: z.infer<typeof runView>) => boolean,
) {
  return eventually(`run ${runId} of ${jobId} to get there`, async () => {
    const res = await suite.stack.admin(
      `/v1/scheduler/jobs/${jobId}/runs/${runId}`,
    );
    const { run } = await read(res, runBody);
    return done(run) ? run : null;
  }, 60_000);
}

/** Notifications per user among `prefix*` users, from libSQL itself. */
async function notificationsPerUser(prefix: string) {
  const db = createClient({ url: suite.stack.standIns.libsqlUrl });
  const rows = await db.execute({
    sql: `select audience, count(*) as n from notification_audiences
          where audience like ? group by audience`,
    args: [`user:${prefix}%`],
  });
  db.close();
  return new Map(rows.rows.map((r) => [String(r.audience), Number(r.n)]));
}

test("fan-out over 1,000 users publishes in batch calls and notifies each user exactly once, even when a page is retried", async () => {
  const users = Array.from(
    { length: 1000 },
    (_, i) => `fan-${String(i).padStart(4, "0")}`,
  );
  await seedUsers(users);
  await seedUsers(["fan-x-inactive-1", "fan-x-inactive-2"], false);
  // Active, but with the fan-out's type switched off: not its audience.
  await seedUsers(
    ["fan-x-digest-off"],
    true,
    JSON.stringify({ types: { morningDigest: { enabled: false } } }),
  );
  await putJob("daily", {
    builtin: "fanout",
    type: "morningDigest",
    title: "Good morning {{userId}}",
    body: "Generated on {{date}}",
    pageSize: 500,
    parallelism: 100,
  });

  const before = await qstashStats(suite.stack);
  const started = await trigger("daily");
  // The pages go through QStash, which may finish them before the trigger's
  // own answer is written: either state is a run under way or done.
  assert.ok(
    started.status === "running" || started.status === "succeeded",
    started.status,
  );
  const published = await runUntil(
    "daily",
    started.runId,
    (run) => run.status === "succeeded",
  );
  assert.deepEqual(published.result, { pages: 2, published: 1000 });
  const calls = callsBetween(before, await qstashStats(suite.stack));
  assert.ok((calls["POST /v2/batch"] ?? 0) >= 10, JSON.stringify(calls));

  // Page 0 delivered again, as QStash may: its messages are deduplicated.
  const page = await signedDelivery(
    suite.stack,
    JSON.stringify({
      kind: "job-page",
      jobId: "daily",
      runId: started.runId,
      page: 0,
      after: null,
    }),
  );
  const replay = await deliver(page, "msg_page_replay");
  assert.equal(replay.status, 200);
  await replay.text();
  // And one user's message delivered twice by hand.
  const one = await signedDelivery(
    suite.stack,
    JSON.stringify({
      kind: "job-user",
      jobId: "daily",
      runId: started.runId,
      userId: "fan-0007",
    }),
  );
  await (await deliver(one, "msg_user_replay")).text();

  const delivered = await runUntil(
    "daily",
    started.runId,
    (run) => (run.progress?.delivered ?? 0) >= 1000,
  );
  assert.equal(delivered.progress?.delivered, 1000);
  assert.equal(delivered.progress?.published, 1000);
  assert.equal(delivered.progress?.failed, 0);
  // Every message QStash still holds lands first (a stray duplicate
  // among them would show), then libSQL is counted.
  await qstashDrained(suite.stack);
  const counts = await notificationsPerUser("fan-");
  assert.equal(counts.size, 1000);
  assert.ok([...counts.values()].every((n) => n === 1));
  assert.ok(!counts.has("user:fan-x-inactive-1"));
  assert.ok(!counts.has("user:fan-x-digest-off"));

  const inbox = await suite.stack.admin("/v1/users/fan-0042/notifications");
  const items = z.object({
    items: z.array(
      z.object({ type: z.string(), title: z.string(), body: z.string() }),
    ),
  }).parse(await inbox.json()).items;
  assert.equal(items.length, 1);
  assert.equal(items[0]?.type, "morningDigest");
  assert.equal(items[0]?.title, "Good morning fan-0042");
  assert.match(items[0]?.body ?? "", /^Generated on \d{4}-\d{2}-\d{2}$/);
});

test("a user whose generation fails is recorded and never stops the others", async () => {
  // Only these users are active now: the 1,000 above are switched off.
  const db = createClient({ url: suite.stack.standIns.libsqlUrl });
  await db.execute("update preferences set active = 0");
  db.close();
  const users = ["gen-a", "gen-b", "gen-broken", "gen-c"];
  await seedUsers(users);
  await putJob("generate", {
    builtin: "fanout",
    type: "morningDigest",
    webhook: `http://127.0.0.1:${host.addr.port}/generate`,
    pageSize: 2,
  });
  const started = await trigger("generate");
  const run = await runUntil(
    "generate",
    started.runId,
    (r) =>
      r.status === "succeeded" && (r.progress?.delivered ?? 0) >= 3 &&
      (r.progress?.failed ?? 0) >= 1,
  );
  assert.equal(run.progress?.pages, 2);
  assert.equal(run.progress?.failed, 1);
  const failures = z.object({
    failures: z.array(z.object({ userId: z.string(), error: z.string() })),
  }).parse(
    await (await suite.stack.admin(
      `/v1/scheduler/jobs/generate/runs/${started.runId}/failures`,
    )).json(),
  );
  assert.deepEqual(failures.failures.map((f) => f.userId), ["gen-broken"]);
  assert.equal(failures.failures[0]?.error, "webhook answered 500");
  const counts = await notificationsPerUser("gen-");
  assert.deepEqual([...counts.keys()].sort(), [
    "user:gen-a",
    "user:gen-b",
    "user:gen-c",
  ]);
  const inbox = await suite.stack.admin("/v1/users/gen-b/notifications");
  const items = z.object({ items: z.array(z.object({ title: z.string() })) })
    .parse(await inbox.json()).items;
  assert.equal(items[0]?.title, "Your plan, gen-b");
});

suite.run();
