import assert from "node:assert/strict";
import {
  notification,
  publish,
  shardCalls,
  startWorkerd,
  status,
  streamUrl,
  type Target,
  unique,
} from "./fixtures/realtime_harness.ts";
import { eventually } from "@herald/testing";
import { SseReader } from "../support/sse_reader.ts";
import { WsReader } from "../support/ws_reader.ts";

/**
 * Hibernation, shown in workerd: 1,000 idle connections (half SSE through
 * the Worker's bridge, half WebSocket straight to the shards) stay open
 * while their shard objects are evicted — in-memory state gone, the
 * constructor run again by the next event — and that event still reaches
 * every connection exactly once.
 *
 * Eviction cannot be watched without touching an object (any request keeps
 * it awake for ~10 s more), so the test probes with events at doubling gaps
 * and stops at the first event a freshly constructed shard delivered: the
 * fact it waits for, not a duration. Each probe is itself checked: every
 * connection gets it, once.
 */
const USERS = 100;
const PER_USER = 10;
const SHARDS = 2;
const HEARTBEAT_MS = 2_000;

interface Reader {
  /** Notification ids received, in order. */
  ids: string[];
  close(): Promise<void>;
}

Deno.test({
  name:
    "1,000 idle connections outlive their shards' eviction and get the next event exactly once",
  // Miniflare's workerd child and the 1,000 sockets outlive bookkeeping.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const t = await startWorkerd({
      shards: SHARDS,
      maxConnections: USERS * PER_USER,
      logSize: 50,
      heartbeatMs: HEARTBEAT_MS,
    });
    const role = unique("role:everyone");
    const readers: Reader[] = [];
    try {
      for (let u = 0; u < USERS; u++) {
        const user = unique("user:idle");
        for (let c = 0; c < PER_USER; c++) {
          readers.push(
            await (c % 2 === 0 ? sseReader : wsReader)(t, [user, role]),
          );
        }
      }
      const connected = await status(t);
      assert.deepEqual(connected.subscribers, USERS * PER_USER);
      assert.deepEqual(connected.shards.map((s) => s.connections > 0), [
        true,
        true,
      ]);

      const probes: string[] = [];
      let gapMs = 3_000;
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, gapMs));
        const before = await shardCalls(t);
        const id = `probe-${probes.length}`;
        probes.push(id);
        const sent = await publish(t, role, id);
        assert.deepEqual(sent.delivered, USERS * PER_USER, id);
        await everyReaderHas(readers, probes);
        const woke = (await shardCalls(t)).wakes - before.wakes;
        if (woke === SHARDS) break;
        assert.ok(gapMs < 60_000, "the shards were never evicted");
        gapMs *= 2;
      }
      // The wakes are the constructor's own count, kept in each shard's
      // storage: each shard ran it again for the probe.
      const after = await status(t);
      assert.ok(after.shards.every((s) => s.wakes >= 2), JSON.stringify(after));
      assert.deepEqual(after.subscribers, USERS * PER_USER);
    } finally {
      await Promise.all(readers.map((r) => r.close()));
      await t.close();
    }
  },
});

/** Resolves once every reader has exactly `ids`, in order. */
async function everyReaderHas(readers: Reader[], ids: string[]) {
  const want = JSON.stringify(ids);
  await eventually(
    `every connection to have ${ids.length} events`,
    () =>
      Promise.resolve(
        readers.every((r) => r.ids.length >= ids.length) ? true : null,
      ),
  ).catch(() => {}); // a short reader is reported below, with what it got
  const wrong = readers.filter((r) => JSON.stringify(r.ids) !== want);
  assert.deepEqual(
    wrong.length,
    0,
    `${wrong.length} connections got ${JSON.stringify(wrong[0]?.ids)}`,
  );
}

async function sseReader(t: Target, channels: string[]): Promise<Reader> {
  const res = await fetch(streamUrl(t, channels, {}));
  assert.deepEqual(res.status, 200);
  assert.ok(res.body);
  const sse = new SseReader(res.body);
  assert.deepEqual((await sse.nextEvent())?.event, "connected");
  const ids: string[] = [];
  const reading = (async () => {
    for (;;) {
      const next = await sse.nextEvent(3_600_000).catch(() => null);
      if (!next) return;
      if (next.event === "notification") {
        ids.push(notification.parse(JSON.parse(next.data)).id);
      }
    }
  })();
  return {
    ids,
    close: async () => {
      await sse.cancel();
      await reading;
    },
  };
}

async function wsReader(t: Target, channels: string[]): Promise<Reader> {
  const ws = await WsReader.open(streamUrl(t, channels, {}, "websocket"));
  assert.deepEqual((await ws.nextEvent())?.event, "connected");
  const ids: string[] = [];
  const reading = (async () => {
    for (;;) {
      const next = await ws.nextEvent(3_600_000).catch(() => null);
      if (!next) return;
      if (next.event === "notification") {
        ids.push(notification.parse(JSON.parse(next.data)).id);
      }
    }
  })();
  return {
    ids,
    close: async () => {
      await ws.close();
      await reading;
    },
  };
}
