import { createClient } from "@libsql/client";
import { DEV_QSTASH_CURRENT_SIGNING_KEY } from "../src/dev/qstash/credentials.ts";
import { signDelivery } from "../src/dev/qstash/signature.ts";
import { defaultPreferences } from "../src/domain/preferences.ts";
import { parseLabelText } from "../src/domain/prometheus.ts";
import { ensureFileLimit } from "./support/file_limit.ts";
import { cpuMs } from "./support/processes.ts";
import { type RemoteStack, startRemoteStack } from "./support/remote_stack.ts";
import { round2 } from "./support/rounds.ts";
import { SseFleet, type SubscriberSpec } from "./support/sse_fleet.ts";
import { report } from "./stats.ts";

/**
 * The counts behind README's cost model, measured on the dev process
 * layout: what one scheduled notification, one role broadcast, one
 * connection and one idle connection-hour cost in Worker requests, Worker
 * CPU, shard (Durable Object) requests, shard wall time and wakes, and
 * QStash calls — read from Herald's own counters (`/metrics`:
 * herald_shard_requests_total, herald_shard_request_ms_total,
 * herald_shard_wakes_total), workerd's CPU time (/proc) and the QStash
 * stand-in's call count. Then the month the issue describes — 100,000
 * users, 10,000 online 8 h a day, 3 scheduled notifications per user a
 * day, 10 role broadcasts a day — priced from bench/results/cost.json by
 * README (prices: /work/shared/reference/PRICES.md, 2026-12).
 *
 * workerd runs the Worker and its Durable Objects in one process, so its
 * CPU time per event is an upper bound on the Worker's billed CPU.
 * Needs `deno task build`. Env: BENCH_USERS (400 online, half SSE, half
 * WebSocket, all holding role "everyone"), BENCH_EVENTS (300),
 * BENCH_BROADCASTS (5), BENCH_IDLE_SECONDS (60).
 */
const USERS = Number(Deno.env.get("BENCH_USERS") ?? 400);
const EVENTS = Number(Deno.env.get("BENCH_EVENTS") ?? 300);
const BROADCASTS = Number(Deno.env.get("BENCH_BROADCASTS") ?? 5);
const IDLE_SECONDS = Number(Deno.env.get("BENCH_IDLE_SECONDS") ?? 60);
const HEARTBEAT_MS = 15_000;
const WOKEN_EVENTS = 3;
/** Past workerd's eviction of an idle object (~10 s). */
const EVICTED_AFTER_MS = 13_000;
const TYPES = [
  "morningDigest",
  "taskReminder",
  "eveningSummary",
  "weeklyReport",
] as const;
const occurrences = TYPES.flatMap((type, t) =>
  Array.from({ length: 24 }, (_, m) => ({
    type,
    localTime: `0${t}:${String(m).padStart(2, "0")}`,
  }))
);
const userId = (i: number) => `cost-${i}`;

await ensureFileLimit(USERS * 2 + 500);
const loadAtStart = (await Deno.readTextFile("/proc/loadavg")).trim();
const stack = await startRemoteStack();
const phases: Record<string, unknown> = {};
try {
  await seedPreferences(stack);
  const { workerd } = stack.pids();
  const specs: SubscriberSpec[] = [];
  for (let i = 0; i < USERS; i++) {
    specs.push({
      path: "/v1/stream",
      headers: {
        authorization: `Bearer ${await stack.userToken(userId(i), {
          roles: ["everyone"],
        })}`,
      },
      websocket: i % 2 === 1,
    });
  }
  const before = await snapshot(stack, workerd);
  const fleet = await SseFleet.open(specs, {
    hostname: "127.0.0.1",
    port: Number(new URL(stack.url).port),
    readyMarker: "connected",
    pingEveryMs: HEARTBEAT_MS,
    concurrency: 16,
  });
  try {
    await idle(workerd);
    phases.connect = per(USERS, before, await snapshot(stack, workerd));

    // Scheduled notifications: the signed QStash delivery of one user's
    // occurrence, to a random online user, one after another.
    const left = Array.from({ length: USERS }, () => [...occurrences]);
    let start = await snapshot(stack, workerd);
    for (let e = 0; e < EVENTS; e++) {
      const i = Math.floor(Math.random() * USERS);
      const next = left[i]?.shift();
      if (!next) throw new Error(`No occurrence left for user ${i}`);
      const arrived = fleet.watch(i, `"localTime":"${next.localTime}"`);
      await deliver(stack, userId(i), next);
      if (Number.isNaN(await arrived)) throw new Error("An event was lost");
    }
    await idle(workerd);
    phases.scheduled = per(EVENTS, start, await snapshot(stack, workerd));

    // The same, each to a shard that has been idle long enough to be
    // evicted (workerd's ~10 s): what a wake adds to an event.
    start = await snapshot(stack, workerd);
    for (let e = 0; e < WOKEN_EVENTS; e++) {
      await new Promise((r) => setTimeout(r, EVICTED_AFTER_MS));
      const i = Math.floor(Math.random() * USERS);
      const next = left[i]?.shift();
      if (!next) throw new Error(`No occurrence left for user ${i}`);
      const arrived = fleet.watch(i, `"localTime":"${next.localTime}"`);
      await deliver(stack, userId(i), next);
      if (Number.isNaN(await arrived)) throw new Error("An event was lost");
    }
    phases.scheduledAfterEviction = per(
      WOKEN_EVENTS,
      start,
      await snapshot(stack, workerd),
    );

    // Role broadcasts to every online user, each followed by its counts.
    start = await snapshot(stack, workerd);
    for (let b = 0; b < BROADCASTS; b++) {
      const marker = `cost-broadcast-${b}-${crypto.randomUUID().slice(0, 8)}`;
      const arrivals = fleet.expect(marker);
      const res = await stack.admin("/v1/notifications", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          roles: ["everyone"],
          type: "bench.cost",
          title: marker,
          body: "",
        }),
      });
      if (res.status !== 201) throw new Error(`broadcast ${res.status}`);
      await res.body?.cancel();
      if ((await arrivals).received !== USERS) throw new Error("Lost some");
      await idle(workerd);
    }
    phases.broadcast = per(BROADCASTS, start, await snapshot(stack, workerd));

    // Idle: connections open, nothing published (heartbeats, pings only).
    start = await snapshot(stack, workerd);
    await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
    const idleDelta = per(1, start, await snapshot(stack, workerd));
    phases.idle = {
      ...idleDelta,
      cpuMsPerConnectionHour: round2(
        idleDelta.workerdCpuMs / USERS * (3600 / IDLE_SECONDS),
      ),
    };
    if (fleet.closedUnexpectedly > 0) {
      throw new Error(`${fleet.closedUnexpectedly} streams were closed`);
    }
  } finally {
    fleet.close();
  }
} finally {
  await stack.close();
}

await report("cost", {
  machine: { cores: navigator.hardwareConcurrency, deno: Deno.version.deno },
  loadAverage: {
    atStart: loadAtStart,
    atEnd: (await Deno.readTextFile("/proc/loadavg")).trim(),
  },
  shape: {
    onlineUsers: USERS,
    shards: 16,
    scheduledEvents: EVENTS,
    broadcasts: BROADCASTS,
    idleSeconds: IDLE_SECONDS,
  },
  note:
    "Per unit (connection, scheduled event, broadcast to every online user): shard requests by call, their wall ms as the Worker saw them, wakes, workerd CPU ms (Worker and objects), QStash API calls. Worker requests are the bench's own: 1 per connection, per scheduled event (QStash's delivery) and per broadcast.",
  phases,
});

interface Snapshot {
  requests: Record<string, number>;
  ms: Record<string, number>;
  wakes: number;
  workerdCpuMs: number;
  qstashCalls: number;
}

async function snapshot(
  stack: RemoteStack,
  workerd: number,
): Promise<Snapshot> {
  const res = await stack.admin("/metrics");
  const text = await res.text();
  const requests: Record<string, number> = {};
  const ms: Record<string, number> = {};
  let wakes = 0;
  for (const line of text.split("\n")) {
    const match = /^(herald_shard_\w+)(\{[^}]*\})? (\d+(?:\.\d+)?)$/.exec(line);
    if (!match?.[1] || match[3] === undefined) continue;
    const labels = parseLabelText(match[2]?.slice(1, -1) ?? "");
    const call = labels.call ?? "";
    const value = Number(match[3]);
    if (match[1] === "herald_shard_requests_total") requests[call] = value;
    else if (match[1] === "herald_shard_request_ms_total") ms[call] = value;
    else if (match[1] === "herald_shard_wakes_total") wakes = value;
  }
  return {
    requests,
    ms,
    wakes,
    workerdCpuMs: cpuMs(workerd),
    qstashCalls: await stack.qstashCalls(),
  };
}

/** (after − before) / units, for every count (the /metrics read included). */
function per(units: number, a: Snapshot, b: Snapshot) {
  const delta = (x: Record<string, number>, y: Record<string, number>) =>
    Object.fromEntries(
      Object.keys({ ...x, ...y }).map((k) => [
        k,
        round2(((y[k] ?? 0) - (x[k] ?? 0)) / units),
      ]).filter(([, v]) => v !== 0),
    );
  return {
    units,
    shardRequests: delta(a.requests, b.requests),
    shardRequestMs: delta(a.ms, b.ms),
    shardWakes: round2((b.wakes - a.wakes) / units),
    workerdCpuMs: round2((b.workerdCpuMs - a.workerdCpuMs) / units),
    qstashCalls: round2((b.qstashCalls - a.qstashCalls) / units),
  };
}

/** Until workerd has used at most 10 ms CPU in each of two 200 ms windows. */
async function idle(workerd: number) {
  let calm = 0;
  while (calm < 2) {
    const before = cpuMs(workerd);
    await new Promise((r) => setTimeout(r, 200));
    calm = cpuMs(workerd) - before <= 10 ? calm + 1 : 0;
  }
}

async function deliver(
  stack: RemoteStack,
  user: string,
  o: { type: string; localTime: string },
) {
  const body = JSON.stringify({
    kind: "user-schedule",
    userId: user,
    type: o.type,
    localTime: o.localTime,
  });
  const url = `${stack.url}/v1/qstash/callback`;
  const signature = await signDelivery({
    signingKey: DEV_QSTASH_CURRENT_SIGNING_KEY,
    url,
    body: new TextEncoder().encode(body),
    nowSeconds: Math.floor(Date.now() / 1000),
  });
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "upstash-signature": signature,
      "upstash-message-id": `msg_cost_${crypto.randomUUID()}`,
      "upstash-retried": "0",
    },
    body,
  });
  if (!res.ok) throw new Error(`callback ${res.status}: ${await res.text()}`);
  await res.body?.cancel();
}

/** Each user's preferences straight into libSQL, as in latency.ts. */
async function seedPreferences(stack: RemoteStack) {
  const prefs = defaultPreferences();
  for (const type of TYPES) {
    prefs.types[type] = {
      enabled: true,
      times: occurrences.filter((o) => o.type === type).map((o) => o.localTime),
      days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    };
  }
  const data = JSON.stringify({ ...prefs, enabled: true, timezone: "UTC" });
  const db = createClient({ url: stack.standInsEnv.LIBSQL_URL ?? "" });
  try {
    const ids = Array.from({ length: USERS }, (_, i) => userId(i));
    await db.execute({
      sql: `insert into preferences (user_id, version, data, active, updated_at)
            values ${ids.map(() => "(?, 1, ?, 1, 0)").join(", ")}`,
      args: ids.flatMap((id) => [id, data]),
    });
  } finally {
    db.close();
  }
}
