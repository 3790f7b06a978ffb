import { parseLabelText } from "../src/domain/metrics/prometheus.ts";
import { ensureFileLimit } from "./support/file_limit.ts";
import {
  type Occurrence,
  OCCURRENCES,
  postOccurrence,
  seedOccurrenceUsers,
} from "./support/occurrence_callbacks.ts";
import { PRICE, PRICES } from "./support/prices.ts";
import { measurePushCost } from "./support/push_cost.ts";
import { cpuMs } from "./support/processes.ts";
import { type RemoteStack, startRemoteStack } from "./support/remote_stack.ts";
import { round2 } from "./support/rounds.ts";
import { SseFleet, type SubscriberSpec } from "./support/sse_fleet.ts";
import { report } from "./stats.ts";

/**
 * The counts behind README's cost model, measured on the dev process
 * layout: what one scheduled notification, one role broadcast, one
 * connection, one idle connection-hour and one push to an offline user
 * cost in Worker requests, Worker CPU, shard (Durable Object) requests,
 * shard wall time and wakes, and QStash calls — read from Herald's own
 * counters (`/metrics`: herald_shard_requests_total,
 * herald_shard_request_ms_total, herald_shard_wakes_total), workerd's CPU
 * time (/proc) and the QStash stand-in's call and delivery counts
 * (support/push_cost.ts for the pushes). Then the month the issue
 * describes — 100,000 users, 10,000 online 8 h a day, 3 scheduled
 * notifications per user a day, 90% of them offline at their times and
 * pushed (one device each), 10 role broadcasts a day — priced from
 * bench/results/cost.json by README (prices: bench/support/prices.ts, each
 * with its vendor page and date).
 *
 * workerd runs the Worker and its Durable Objects in one process, so its
 * CPU time per event is an upper bound on the Worker's billed CPU.
 * Needs `deno task build`. Env: BENCH_USERS (400 online, half SSE, half
 * WebSocket, all holding role "everyone"), BENCH_EVENTS (300),
 * BENCH_BROADCASTS (5), BENCH_IDLE_SECONDS (60), BENCH_PUSH_MEMBERS (1,000
 * offline members a firing).
 */
const USERS = Number(Deno.env.get("BENCH_USERS") ?? 400);
const EVENTS = Number(Deno.env.get("BENCH_EVENTS") ?? 300);
const BROADCASTS = Number(Deno.env.get("BENCH_BROADCASTS") ?? 5);
const IDLE_SECONDS = Number(Deno.env.get("BENCH_IDLE_SECONDS") ?? 60);
const PUSH_MEMBERS = Number(Deno.env.get("BENCH_PUSH_MEMBERS") ?? 1_000);
const HEARTBEAT_MS = 15_000;
const WOKEN_EVENTS = 3;
/** Past workerd's eviction of an idle object (~10 s). */
const EVICTED_AFTER_MS = 13_000;
const userId = (i: number) => `cost-${i}`;

// -- the month the issue describes, priced --------------------------------

/** The scenario (issue 12) and what it leaves open, stated. */
const MONTH = {
  days: 30,
  users: 100_000,
  online: 10_000,
  onlineHoursPerDay: 8,
  scheduledPerUserPerDay: 3,
  broadcastsPerDay: 10,
  /** Assumed: a stream reconnects about once an hour (token refresh, networks). */
  connectionsPerOnlineUserPerDay: 8,
  shards: 16,
  heartbeatSeconds: HEARTBEAT_MS / 1000,
  /** Counts of a broadcast go to the online members, 500 per page. */
  countPage: 500,
  /**
   * The schedule placement's counts for this population
   * (bench/slot_count.ts, bench/support/population.ts): active QStash
   * schedules per user, type and time, or per shared slot; a slot's firing
   * serves 250 members a page, each page a QStash message.
   */
  perUserSchedules: 258_963,
  slotSchedules: 96,
  slotPageSize: 250,
  /** Issue 21: at their times 90% have no tab open and are pushed. */
  offlineAtTheirTimes: 0.9,
  /** Assumed: one push subscription (device) each. */
  pushDevicesPerUser: 1,
  /** Pushes a QStash message carries (services/push/queue_pushes.ts). */
  pushBatch: 50,
};

await ensureFileLimit(USERS * 2 + 500);
const loadAtStart = (await Deno.readTextFile("/proc/loadavg")).trim();
const stack = await startRemoteStack();
const phases: Record<string, unknown> = {};
try {
  await seedOccurrenceUsers(
    stack.libsqlUrl,
    Array.from({ length: USERS }, (_, i) => userId(i)),
  );
  const { workerd } = stack.pids();
  // User i streams over SSE when i is even, over WebSocket when odd; each
  // transport is a fleet of its own, so the idle minute can be split.
  const specsFor = async (websocket: boolean) => {
    const specs: SubscriberSpec[] = [];
    for (let i = websocket ? 1 : 0; i < USERS; i += 2) {
      const token = await stack.userToken(userId(i), { roles: ["everyone"] });
      specs.push({
        path: "/v1/stream",
        headers: { authorization: `Bearer ${token}` },
        websocket,
      });
    }
    return specs;
  };
  const open = {
    hostname: "127.0.0.1",
    port: Number(new URL(stack.url).port),
    readyMarker: "connected",
    pingEveryMs: HEARTBEAT_MS,
    concurrency: 16,
  };
  const before = await snapshot(stack, workerd);
  const sse = await SseFleet.open(await specsFor(false), open);
  const ws = await SseFleet.open(await specsFor(true), open);
  const fleetOf = (i: number) => (i % 2 === 0 ? sse : ws);
  try {
    await idle(workerd);
    phases.connect = per(USERS, before, await snapshot(stack, workerd));

    // Scheduled notifications: the signed QStash delivery of one user's
    // occurrence, to a random online user, one after another.
    const left = Array.from({ length: USERS }, () => [...OCCURRENCES]);
    let start = await snapshot(stack, workerd);
    for (let e = 0; e < EVENTS; e++) {
      const i = Math.floor(Math.random() * USERS);
      const next = left[i]?.shift();
      if (!next) throw new Error(`No occurrence left for user ${i}`);
      const arrived = fleetOf(i).watch(
        Math.floor(i / 2),
        `"localTime":"${next.localTime}"`,
      );
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
      const arrived = fleetOf(i).watch(
        Math.floor(i / 2),
        `"localTime":"${next.localTime}"`,
      );
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
      const arrivals = Promise.all([sse.expect(marker), ws.expect(marker)]);
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
      const got = (await arrivals).reduce((n, a) => n + a.received, 0);
      if (got !== USERS) throw new Error(`Broadcast reached ${got}`);
      await idle(workerd);
    }
    phases.broadcast = per(BROADCASTS, start, await snapshot(stack, workerd));

    // Idle: connections open, nothing published (SSE heartbeats written
    // by the Worker, WebSocket pings answered by the runtime). Both
    // transports, then SSE alone: the difference is the WebSockets'.
    const idleCpu = async () => {
      const a = cpuMs(workerd);
      await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
      return cpuMs(workerd) - a;
    };
    const closed = sse.closedUnexpectedly + ws.closedUnexpectedly;
    if (closed > 0) throw new Error(`${closed} streams were closed`);
    const both = await idleCpu();
    ws.close();
    await idle(workerd);
    const sseOnly = await idleCpu();
    const hour = 3600 / IDLE_SECONDS;
    phases.idle = {
      seconds: IDLE_SECONDS,
      cpuMsPerConnectionHour: {
        sse: round2(sseOnly / sse.size * hour),
        websocket: round2(Math.max(0, both - sseOnly) / ws.size * hour),
      },
    };
  } finally {
    sse.close();
    ws.close();
  }
  // Last: it moves the dev clock a day on.
  phases.push = await measurePushCost(stack, workerd, {
    members: PUSH_MEMBERS,
    idle,
  });
} finally {
  await stack.close();
}

await report("cost", {
  model: priceMonth(phases),
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

async function deliver(stack: RemoteStack, user: string, o: Occurrence) {
  const res = await postOccurrence(stack.url, user, o);
  if (!res.ok) throw new Error(`callback ${res.status}: ${await res.text()}`);
  await res.body?.cancel();
}

interface Month {
  workerRequests: number;
  workerCpuMs: number;
  doRequests: number;
  doGbS: number;
  qstashMessages: number;
  /** Active QStash schedules. */
  qstashSchedules: number;
}

function dollars(m: Month) {
  const over = (x: number, included: number) => Math.max(0, x - included);
  const workers = PRICE.workersBase +
    over(m.workerRequests, PRICE.workersIncludedRequests) / 1e6 *
      PRICE.workersPerMillionRequests +
    over(m.workerCpuMs, PRICE.workersIncludedCpuMs) / 1e6 *
      PRICE.workersPerMillionCpuMs;
  const durableObjects = over(m.doRequests, PRICE.doIncludedRequests) / 1e6 *
      PRICE.doPerMillionRequests +
    over(m.doGbS, PRICE.doIncludedGbS) / 1e6 * PRICE.doPerMillionGbS;
  const qstash = m.qstashMessages / 100_000 * PRICE.qstashPer100kMessages;
  const schedules = over(m.qstashSchedules, PRICE.qstashIncludedSchedules) *
    PRICE.qstashPerSchedule;
  const r = (x: number) => Math.round(x * 100) / 100;
  return {
    workers: r(workers),
    durableObjects: r(durableObjects),
    workersPlusDurableObjects: r(workers + durableObjects),
    qstashMessages: r(qstash),
    qstashSchedules: r(schedules),
    total: r(workers + durableObjects + qstash + schedules),
  };
}

/**
 * Monthly counts and dollars from the measured per-unit figures: the new
 * design with every stream on SSE, and on WebSocket; and the design it
 * replaces, whose counts follow from its code (one object per user, role
 * and topic holding SSE responses, so awake for every connected second;
 * a directory report every 30 s per live channel; a count publish per
 * member per broadcast).
 */
function priceMonth(measured: Record<string, unknown>) {
  const num = (path: string): number => {
    let value: unknown = measured;
    for (const key of path.split(".")) {
      value = typeof value === "object" && value !== null
        ? Reflect.get(value, key)
        : undefined;
    }
    return typeof value === "number" ? value : 0;
  };
  const M = MONTH;
  const scheduled = M.users * M.scheduledPerUserPerDay * M.days;
  const connections = M.online * M.connectionsPerOnlineUserPerDay * M.days;
  const connectionHours = M.online * M.onlineHoursPerDay * M.days;
  const broadcasts = M.broadcastsPerDay * M.days;
  const pages = Math.ceil(M.online / M.countPage);
  // Per event, its publish requests and the wall time they took (an upper
  // bound on the shard's billed time); a woken shard's, conservatively.
  const perEventRequests = num("scheduled.shardRequests.publish");
  const perEventMs = Math.max(
    num("scheduled.shardRequestMs.publish"),
    num("scheduledAfterEviction.shardRequestMs.publish"),
  );
  const perConnectMs = num("connect.shardRequestMs.open");
  // A broadcast's requests: its publish and the online() ask, one per
  // shard each, then a page of counts per 500 online members per shard.
  const broadcastRequests = M.shards * (2 + pages);
  const broadcastMsPerRequest = (num("broadcast.shardRequestMs.publish") +
    num("broadcast.shardRequestMs.online")) /
    Math.max(
      1,
      num("broadcast.shardRequests.publish") +
        num("broadcast.shardRequests.online"),
    );
  // Every one of USERS was online for the measured broadcasts.
  const broadcastCpu = num("broadcast.workerdCpuMs") / USERS *
    M.online;
  // Shared slots (the default placement): a day's occurrences arrive as
  // each slot's firing plus a page message per 250 members, each page one
  // Worker request and at most one publish per shard. Its CPU is still
  // counted per notification as the per-user callback measured it (one
  // request each): an upper bound, since a page stores and sends its
  // members together.
  const pagesPerDay = Math.ceil(
    M.users * M.scheduledPerUserPerDay / M.slotPageSize,
  );
  const slotMessages = M.days * (M.slotSchedules + pagesPerDay);
  // Pushes: each page queues its offline members' devices, 50 a QStash
  // message; each message is one Worker request (the batch's callback)
  // and touches no shard. CPU is what a push added to its firing, measured.
  const pushes = scheduled * M.offlineAtTheirTimes * M.pushDevicesPerUser;
  const pushMessages = M.days * pagesPerDay *
    Math.ceil(
      M.slotPageSize * M.offlineAtTheirTimes * M.pushDevicesPerUser /
        M.pushBatch,
    );
  const pushCpu = pushes * num("push.workerdCpuMsPerPush");
  const base = {
    workerRequests: slotMessages + pushMessages + connections + broadcasts,
    cpu: scheduled * num("scheduled.workerdCpuMs") +
      connections * num("connect.workerdCpuMs") +
      broadcasts * broadcastCpu + pushCpu,
    doRequests: slotMessages * M.shards * perEventRequests +
      connections * 2 + // open, and the close event
      broadcasts * broadcastRequests,
    doMs: slotMessages * M.shards * perEventRequests * perEventMs +
      connections * perConnectMs +
      broadcasts * broadcastRequests * broadcastMsPerRequest,
  };
  const gbS = (ms: number) => ms / 1000 * PRICE.doGb;
  const pings = connectionHours * 3600 / M.heartbeatSeconds;
  const sse: Month = {
    workerRequests: base.workerRequests,
    workerCpuMs: base.cpu +
      connectionHours * num("idle.cpuMsPerConnectionHour.sse"),
    doRequests: base.doRequests,
    doGbS: gbS(base.doMs),
    qstashMessages: slotMessages + pushMessages,
    qstashSchedules: M.slotSchedules,
  };
  const websocket: Month = {
    ...sse,
    workerCpuMs: base.cpu +
      connectionHours * num("idle.cpuMsPerConnectionHour.websocket"),
    // Pings are answered by the runtime; counted as billed messages anyway.
    doRequests: base.doRequests + pings / PRICE.doWsMessagesPerRequest,
  };
  const today: Month = {
    // One QStash delivery, so one Worker request, per notification (it
    // had no push).
    workerRequests: scheduled + connections + broadcasts,
    workerCpuMs: sse.workerCpuMs - pushCpu,
    // Per connection: its user channel and one role channel subscribed;
    // each live channel reported every 30 s; per notification a publish
    // and a count publish; per broadcast 8 shard publishes and a count
    // publish for every member, online or not.
    doRequests: connections * 2 + 2 * connectionHours * 120 +
      scheduled * 2 + broadcasts * (8 + M.users),
    doGbS: gbS(connectionHours * 3600 * 1000),
    qstashMessages: scheduled,
    qstashSchedules: M.perUserSchedules,
  };
  const round = (m: Month) =>
    Object.fromEntries(
      Object.entries(m).map(([k, v]) => [k, Math.round(v)]),
    );
  // Push's share of the new design's month: its dollars are the month's
  // with push less the month's without (what is past the plan's included
  // requests and CPU-ms is what it adds).
  const withoutPush: Month = {
    ...sse,
    workerRequests: sse.workerRequests - pushMessages,
    workerCpuMs: sse.workerCpuMs - pushCpu,
    qstashMessages: sse.qstashMessages - pushMessages,
  };
  const added = (key: "workers" | "qstashMessages") =>
    round2(dollars(sse)[key] - dollars(withoutPush)[key]);
  const push = {
    pushes: Math.round(pushes),
    workerRequests: pushMessages,
    workerCpuMs: Math.round(pushCpu),
    qstashMessages: pushMessages,
    dollars: { workers: added("workers"), qstash: added("qstashMessages") },
  };
  return {
    scenario: M,
    prices: PRICES,
    push,
    perMonth: {
      newSse: { counts: round(sse), dollars: dollars(sse) },
      newWebSocket: { counts: round(websocket), dollars: dollars(websocket) },
      today: { counts: round(today), dollars: dollars(today) },
    },
    notes: [
      "Worker CPU is workerd's CPU per unit, which includes the shards' own: an upper bound.",
      "Shard wall time is each request as the Worker timed it (loopback hop included): an upper bound on billed duration; an idle shard is not billed.",
      "QStash: the design replaced had one schedule per user, type and time and one delivered message per notification; the new one has shared slots: a firing per slot and a message per 250 members (bench/slot_count.ts counts the schedules).",
      "Scheduled notifications' CPU is the per-user callback's, per notification: an upper bound for slot pages.",
      "Today's Worker CPU is not re-measured (taken as the new design's, less push); its duration dominates.",
      "Push: 90% of scheduled notifications pushed to one device each, 50 a QStash message (one Worker request each, no shard request); each push's CPU is what it added to a slot firing (support/push_cost.ts). The design replaced had no push.",
    ],
  };
}
