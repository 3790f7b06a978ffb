import { ensureFileLimit } from "./support/file_limit.ts";
import {
  type Occurrence,
  OCCURRENCES,
  postOccurrence,
  seedOccurrenceUsers,
} from "./support/occurrence_callbacks.ts";
import { startNchan } from "./support/nchan.ts";
import { cpuMs } from "./support/processes.ts";
import { type RemoteStack, startRemoteStack } from "./support/remote_stack.ts";
import { round2 } from "./support/rounds.ts";
import { SseFleet, type SubscriberSpec } from "./support/sse_fleet.ts";
import { report, summarize } from "./stats.ts";

/**
 * Request → live event, with 1,000 online users, one stream each, and
 * events to random users at 50/s (open loop: each request goes out on its
 * tick whether or not the previous ones are done), on the stack laid out
 * as `deno task dev` runs it: stand-ins in one process, workerd in
 * another, this client in a third.
 *
 * For each transport (SSE through the Worker's bridge; WebSocket straight
 * to the shard), two paths:
 * - api: `POST /v1/notifications {userId, …}` with the admin key;
 * - callback: the signed QStash delivery of the user's schedule posted to
 *   `/v1/qstash/callback` (signature, preferences, exactly-once key,
 *   template, inbox, shard). Each is a distinct occurrence (4 types × 24
 *   local times per user, seeded into libSQL), and its marker is the
 *   occurrence's `"localTime":"HH:MM"` in the event's data.
 * A figure is request start → the event in that user's socket.
 *
 * Peer, in the same run, after Herald (never at once: 2 cores): nginx +
 * nchan (worker_processes 1), 1,000 subscribers on 1,000 channels,
 * `POST /pub` to random channels at the same rate with a payload the size
 * of Herald's event. Skipped, with the reason, without nginx + nchan.
 *
 * Targets (issue 12): api p99 ≤ 20 ms, callback p99 ≤ 30 ms. Needs
 * `deno task build`. Env: BENCH_USERS (1000), BENCH_RATE (50/s),
 * BENCH_SECONDS (30 per path and transport).
 */
const USERS = Number(Deno.env.get("BENCH_USERS") ?? 1000);
const RATE = Number(Deno.env.get("BENCH_RATE") ?? 50);
const SECONDS = Number(Deno.env.get("BENCH_SECONDS") ?? 30);
const WARMUP_EVENTS = 100;
const HEARTBEAT_MS = 15_000;
const userId = (i: number) => `lat-${i}`;

await ensureFileLimit(USERS + 500);
const loadAtStart = (await Deno.readTextFile("/proc/loadavg")).trim();
const started = performance.now();
const stack = await startRemoteStack();
const herald: Record<string, unknown> = {};
const targets: Record<string, unknown> = {};
try {
  await seedOccurrenceUsers(
    stack.libsqlUrl,
    Array.from({ length: USERS }, (_, i) => userId(i)),
  );
  const port = Number(new URL(stack.url).port);
  // Occurrences left per user, shared by both transports' callback runs.
  const left = Array.from({ length: USERS }, () => [...OCCURRENCES]);
  for (const transport of ["sse", "websocket"] as const) {
    const specs: SubscriberSpec[] = [];
    for (let i = 0; i < USERS; i++) {
      specs.push({
        path: "/v1/stream",
        headers: {
          authorization: `Bearer ${await stack.userToken(userId(i))}`,
        },
        websocket: transport === "websocket",
      });
    }
    const fleet = await SseFleet.open(specs, {
      hostname: "127.0.0.1",
      port,
      readyMarker: "connected",
      pingEveryMs: HEARTBEAT_MS,
      concurrency: 32,
    });
    try {
      const workerd = stack.pids().workerd;
      const api = await openLoop(fleet, workerd, (i, marker) => ({
        marker,
        send: () =>
          fetchTimed(() =>
            stack.admin("/v1/notifications", {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({
                userId: userId(i),
                type: "bench.latency",
                title: marker,
                body: "",
              }),
            })
          ),
      }));
      const callback = await openLoop(fleet, workerd, (i) => {
        const next = left[i]?.shift();
        if (!next) throw new Error(`User ${i} has no occurrence left`);
        return {
          marker: `"localTime":"${next.localTime}"`,
          send: () => deliver(stack, userId(i), next),
        };
      });
      herald[transport] = { api, callback };
      console.error(
        `${transport}: api p50 ${api.latencyMs.p50} p99 ${api.latencyMs.p99} ms; callback p50 ${callback.latencyMs.p50} p99 ${callback.latencyMs.p99} ms`,
      );
      targets[`${transport}: api → live p99 ≤ 20 ms`] = {
        met: api.latencyMs.p99 <= 20,
        p99Ms: api.latencyMs.p99,
      };
      targets[`${transport}: callback → live p99 ≤ 30 ms`] = {
        met: callback.latencyMs.p99 <= 30,
        p99Ms: callback.latencyMs.p99,
      };
      if (fleet.closedUnexpectedly > 0) {
        throw new Error(`${fleet.closedUnexpectedly} streams were closed`);
      }
    } finally {
      fleet.close();
    }
  }
} finally {
  await stack.close();
}

// -- the peer: nchan, the same number of subscribers and the same rate.
let nchan: unknown;
const nchanStart = await startNchan({ workers: 1, connections: USERS + 500 });
if (!nchanStart.ok) {
  console.error(`peer skipped: ${nchanStart.reason}`);
  nchan = { skipped: nchanStart.reason };
} else {
  const peer = nchanStart.nchan;
  const fleet = await SseFleet.open(
    Array.from({ length: USERS }, (_, i) => ({ path: `/sub?c=u${i}` })),
    {
      hostname: "127.0.0.1",
      port: peer.port,
      readyMarker: ": hi",
      concurrency: 32,
    },
  );
  try {
    const [worker] = peer.workerPids();
    const result = await openLoop(fleet, worker ?? 0, (i, marker) => ({
      marker,
      send: () => fetchTimed(() => peer.publish([`u${i}`], payload(marker))),
    }));
    nchan = {
      what: `nginx ${peer.version} + nchan, worker_processes 1`,
      ...result,
    };
    console.error(
      `nchan: p50 ${result.latencyMs.p50} p99 ${result.latencyMs.p99} ms`,
    );
  } finally {
    fleet.close();
    await peer.close();
  }
}

await report("latency", {
  machine: { cores: navigator.hardwareConcurrency, deno: Deno.version.deno },
  loadAverage: {
    atStart: loadAtStart,
    atEnd: (await Deno.readTextFile("/proc/loadavg")).trim(),
  },
  shape: {
    users: USERS,
    streamsPerUser: 1,
    ratePerSecond: RATE,
    seconds: SECONDS,
  },
  note:
    "latencyMs: request start → the event in its user's socket; cpuMsPerEvent: the server process (workerd, or nginx's worker) over the run",
  herald,
  nchan,
  targets,
  wallSeconds: round2((performance.now() - started) / 1000),
});

/** What to send to subscriber `i`, and the marker its event will carry. */
type Fire = (
  i: number,
  fresh: string,
) => { marker: string; send: () => Promise<number> };

/**
 * Events to random subscribers at RATE per second for SECONDS (after a
 * warm-up), each watched on its own subscriber: latency = arrival − the
 * request's start (`send` resolves with it). The server's CPU time over
 * the measured run is divided by its events.
 */
async function openLoop(fleet: SseFleet, serverPid: number, fire: Fire) {
  const run = async (events: number) => {
    const waits: Promise<number>[] = [];
    const t0 = performance.now();
    for (let k = 0; k < events; k++) {
      const due = t0 + (k * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const i = Math.floor(Math.random() * fleet.size);
      const { marker, send } = fire(
        i,
        `m${k}-${crypto.randomUUID().slice(0, 12)}`,
      );
      const armed = fleet.watch(i, marker, 30_000);
      waits.push(send().then(async (start) => (await armed) - start));
    }
    return await Promise.all(waits);
  };
  await run(WARMUP_EVENTS);
  await fleet.quiet(200);
  const cpuBefore = cpuMs(serverPid);
  const latencies = await run(RATE * SECONDS);
  const arrived = latencies.filter((x) => !Number.isNaN(x));
  return {
    events: latencies.length,
    lost: latencies.length - arrived.length,
    latencyMs: summarize(arrived),
    cpuMsPerEvent: round2((cpuMs(serverPid) - cpuBefore) / latencies.length),
  };
}

async function fetchTimed(send: () => Promise<Response>): Promise<number> {
  const start = performance.now();
  const res = await send();
  if (!res.ok) throw new Error(`${res.status}: ${await res.text()}`);
  await res.body?.cancel();
  return start;
}

/** Posts one occurrence's signed delivery; resolves with when it was sent. */
function deliver(stack: RemoteStack, user: string, o: Occurrence) {
  return fetchTimed(() => postOccurrence(stack.url, user, o));
}

/** A peer payload the size of Herald's notification event. */
function payload(marker: string): string {
  return JSON.stringify({
    id: `ntf_${Date.now().toString(36)}${"0".repeat(16)}`,
    type: "bench.latency",
    title: marker,
    body: "",
    severity: "medium",
    data: null,
    createdAt: new Date().toISOString(),
    readAt: null,
  });
}
