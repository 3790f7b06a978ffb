import assert from "node:assert/strict";
import { Redis } from "@upstash/redis";
import { createClient } from "@libsql/client";
import { composeDeps } from "../../src/compose.ts";
import { serviceContext } from "../../src/context.ts";
import { parseConfig } from "../../src/config.ts";
import { VALID_ENV } from "../support/config_env.ts";
import { openDatabase } from "../../src/store/database.ts";
import { createLogger } from "../../src/adapters/json_logger.ts";
import { createMetricsRecorder } from "../../src/adapters/metrics_recorder.ts";
import { createLocalLimiter } from "../../src/adapters/refresh_limiter.ts";
import { createCatalogueCache } from "../../src/store/catalogue/catalogue_store.ts";
import { MissedBumps } from "../../src/adapters/redis_unread_cache.ts";
import { createInProcessChannels } from "../../src/realtime/hub/in_process_channels.ts";

function composed(lines: string[]) {
  let made = 0;
  const client = createClient({ url: ":memory:" });
  const now = () => 0;
  const deps = composeDeps({
    config: parseConfig(VALID_ENV),
    db: openDatabase(client),
    redis: () => {
      made++;
      return new Redis({ url: "http://127.0.0.1:9", token: "t" });
    },
    channels: createInProcessChannels(),
    metrics: createMetricsRecorder(),
    log: createLogger((line) => lines.push(line)),
    localLimiter: createLocalLimiter(now),
    catalogueCache: createCatalogueCache(),
    missedBumps: new MissedBumps(),
    now,
    devClock: null,
  });
  return { deps, made: () => made, close: () => client.close() };
}

Deno.test("composeDeps() makes the Redis client only for a request that uses it, once", () => {
  const { deps, made, close } = composed([]);
  try {
    assert.equal(made(), 0);
    const { db, scheduler } = deps;
    assert.ok(db && scheduler);
    assert.equal(made(), 0);
    assert.ok(deps.cache);
    assert.ok(deps.refreshLimiter);
    assert.equal(made(), 1);
    assert.equal(deps.redis, deps.redis);
    assert.equal(made(), 1);
  } finally {
    close();
  }
});

Deno.test("serviceContext() adds the background runner and the marks, swaps the logger and keeps the lazy parts lazy", async () => {
  const base: string[] = [];
  const { deps, made, close } = composed(base);
  try {
    const request: string[] = [];
    const handed: Promise<unknown>[] = [];
    const marks: string[] = [];
    const ctx = serviceContext(deps, {
      log: createLogger((line) => request.push(line)),
      background: (task) => handed.push(task),
      mark: (phase) => marks.push(phase),
    });
    assert.equal(made(), 0);
    ctx.log.info("scoped.event", {});
    assert.equal(request.length, 1);
    assert.equal(base.length, 0);
    const task = Promise.resolve("done");
    ctx.background(task);
    ctx.mark("store");
    assert.deepEqual(handed, [task]);
    assert.deepEqual(marks, ["store"]);
    assert.equal(ctx.db, deps.db);
    assert.equal(made(), 0);
    assert.equal(ctx.redis, deps.redis);
    assert.equal(made(), 1);
    assert.equal(await handed[0], "done");
  } finally {
    close();
  }
});
