import assert from "node:assert/strict";
import { createClient } from "@libsql/client/web";
import { composeDeps } from "../../src/compose.ts";
import { serviceContext } from "../../src/context.ts";
import { parseConfig } from "../../src/config.ts";
import { parseStoredJob } from "../../src/domain/jobs/job_definition.ts";
import { scheduleIdFor } from "../../src/domain/schedules/schedule_plan.ts";
import { openDatabase } from "../../src/store/database.ts";
import { getJob } from "../../src/store/jobs/job_store.ts";
import { createLogger } from "../../src/adapters/json_logger.ts";
import { createMetricsRecorder } from "../../src/adapters/metrics_recorder.ts";
import { createQStashScheduler } from "../../src/adapters/qstash_scheduler.ts";
import { createLocalLimiter } from "../../src/adapters/refresh_limiter.ts";
import { createCatalogueCache } from "../../src/store/catalogue/catalogue_store.ts";
import { MissedBumps } from "../../src/adapters/redis_unread_cache.ts";
import { createInProcessChannels } from "../../src/realtime/hub/in_process_channels.ts";
import { newRunId, runJob } from "../../src/services/jobs/run_job.ts";
import { integrationSuite } from "../support/suite.ts";

/**
 * What Herald prints when something it handles goes wrong: its own line,
 * once, at the right level, and nothing from the libraries underneath.
 */
const suite = integrationSuite("log levels and library noise");
const { test } = suite;

// The host app's job webhook, failing.
const host = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen() {} },
  async (req) => {
    await req.body?.cancel();
    return new Response("no", { status: 500 });
  },
);
suite.onClose(() => host.shutdown());

function config() {
  return parseConfig({
    ...suite.stack.standIns.env,
    API_KEY: suite.stack.apiKey,
    JWT_SECRET: suite.stack.jwtSecret,
    PUBLIC_URL: suite.stack.url,
  });
}

/** Runs `work` with console.error and console.warn captured. */
async function consoleDuring(work: () => Promise<void>): Promise<string[]> {
  const printed: string[] = [];
  const { error, warn } = console;
  console.error = (...args: unknown[]) => void printed.push(args.join(" "));
  console.warn = console.error;
  try {
    await work();
  } finally {
    console.error = error;
    console.warn = warn;
  }
  return printed;
}

test("a failed job run is logged once, as a warning that says why", async () => {
  const put = await suite.stack.admin("/v1/scheduler/jobs/failing", {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      name: "Failing",
      trigger: { type: "interval", every: "1h" },
      target: { webhook: `http://127.0.0.1:${host.addr.port}/job` },
    }),
  });
  assert.equal(put.status, 201);
  await put.body?.cancel();

  const lines: string[] = [];
  const log = createLogger((line) => lines.push(line));
  const client = createClient({ url: suite.stack.standIns.libsqlUrl });
  const now = () => Date.now();
  const deps = composeDeps({
    config: config(),
    db: openDatabase(client),
    redis: () => null,
    channels: createInProcessChannels(),
    metrics: createMetricsRecorder(),
    log,
    localLimiter: createLocalLimiter(now),
    catalogueCache: createCatalogueCache(),
    missedBumps: new MissedBumps(),
    now,
    devClock: null,
  });
  try {
    const row = await getJob(deps.db, "failing");
    assert.ok(row);
    const run = await runJob({
      ctx: serviceContext(deps, {
        background: (task) => void task.catch(() => {}),
      }),
      job: parseStoredJob(row),
      runId: newRunId(now()),
      trigger: "manual",
    });
    assert.equal(run.status, "failed");
  } finally {
    client.close();
  }
  const runs = lines.map((l) => JSON.parse(l)).filter((l) =>
    l.event === "job.run"
  );
  assert.equal(runs.length, 1);
  assert.equal(runs[0].level, "warn");
  assert.equal(runs[0].status, "failed");
  assert.equal(runs[0].reason, "webhook answered 500");
});

test("reading and deleting a schedule QStash does not hold prints nothing", async () => {
  const scheduler = createQStashScheduler(config().qstash);
  const id = scheduleIdFor("log-nobody@example.com", "taskReminder", "09:00");
  const printed = await consoleDuring(async () => {
    assert.equal(await scheduler.getSchedule(id), null);
    await scheduler.deleteSchedule(id);
  });
  assert.deepEqual(printed, []);
});

test("a schedule QStash holds is read back through the same direct call", async () => {
  const scheduler = createQStashScheduler(config().qstash);
  const id = scheduleIdFor("log-ada@example.com", "taskReminder", "09:00");
  await scheduler.upsertSchedule({
    id,
    cron: "CRON_TZ=Europe/Paris 0 9 * * 1",
    destination: `${suite.stack.url}/v1/qstash/callback`,
    body: '{"kind":"user-schedule"}',
  });
  const held = await scheduler.getSchedule(id);
  assert.equal(held?.cron, "CRON_TZ=Europe/Paris 0 9 * * 1");
  assert.equal(held?.body, '{"kind":"user-schedule"}');
  assert.equal(held?.paused, false);
  assert.equal(typeof held?.nextRun, "number");
  await scheduler.deleteSchedule(id);
  assert.equal(await scheduler.getSchedule(id), null);
});

suite.run();
