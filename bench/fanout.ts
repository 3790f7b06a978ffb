import { ensureFileLimit } from "./support/file_limit.ts";
import { startNchan } from "./support/nchan.ts";
import { childPids, cpuMs, memoryOf } from "./support/processes.ts";
import { startRemoteStack } from "./support/remote_stack.ts";
import {
  round2,
  type RoundsSummary,
  runRounds,
  summarizeRounds,
} from "./support/rounds.ts";
import { SseFleet, type SubscriberSpec } from "./support/sse_fleet.ts";
import { startFloorWorker } from "./support/workerd_floor.ts";
import { report } from "./stats.ts";

/**
 * One broadcast to 10,000 live subscribers: the time from the publishing
 * request's start until the LAST subscriber has the event, over several
 * rounds, with the same client code (`support/sse_fleet.ts`) for every
 * side, one side after the other in the same run (never at once: they
 * would share the 2 cores):
 *
 * - Herald, SSE: 10,000 users, one stream each, every token naming role
 *   "all"; `POST /v1/notifications {roles: ["all"]}`. Each stream is the
 *   Worker's bridge over one WebSocket to the user's shard.
 * - Herald, WebSocket: the same users on WebSockets straight to the shards.
 * - workerd's floor (support/workerd_floor.ts): one Durable Object holding
 *   10,000 SSE streams, or 10,000 hibernatable WebSockets, and a request
 *   that writes the same bytes to all of them — what workerd itself costs.
 * - nchan (worker_processes 1): 10,000 SSE subscribers of one channel,
 *   `POST /pub`. Skipped, with the reason, without nginx + nchan.
 *
 * Herald runs as `deno task dev` lays it out (stand-ins and workerd in
 * processes of their own). BENCH_SHARDS sets REALTIME_SHARDS (16); with as
 * many shards as users each user has an object of their own, and the run
 * measures "deliver into each online member's object" instead.
 *
 * Target (issue 12): ≤ 1.5× workerd's floor. Needs `deno task build`.
 * Env: BENCH_SUBSCRIBERS (10000), BENCH_ROUNDS (8), BENCH_SHARDS (16),
 * BENCH_SIDES ("nchan,floor,herald").
 */
const N = Number(Deno.env.get("BENCH_SUBSCRIBERS") ?? 10_000);
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 8);
const SHARDS = Deno.env.get("BENCH_SHARDS") ?? "16";
const SIDES = (Deno.env.get("BENCH_SIDES") ?? "nchan,floor,herald").split(",");
const WARMUP = 2;
const HEARTBEAT_MS = 15_000;
const OPEN = { hostname: "127.0.0.1", concurrency: 32 };

await ensureFileLimit(N + 1000);
const loadAtStart = (await Deno.readTextFile("/proc/loadavg")).trim();
const started = performance.now();
const sides: Record<string, unknown> = {};
const lastP50: Record<string, number> = {};

/** A notification-sized payload carrying `marker`, for the floor and nchan. */
function payload(marker: string): string {
  return JSON.stringify({
    id: `ntf_${Date.now().toString(36)}${"0".repeat(16)}`,
    type: "bench.fanout",
    title: marker,
    body: "",
    severity: "medium",
    data: null,
    createdAt: new Date().toISOString(),
    readAt: null,
  });
}

async function broadcastRounds(
  label: string,
  fleet: SseFleet,
  serverPid: number,
  send: (marker: string) => Promise<Response>,
): Promise<RoundsSummary> {
  const cpu = () => cpuMs(serverPid);
  const result = await runRounds({
    fleet,
    members: null,
    rounds: ROUNDS,
    warmup: WARMUP,
    quietMs: 150,
    serverCpuMs: cpu,
    probes: { serverCpuMs: cpu, clientCpuMs: () => cpuMs(Deno.pid) },
    label,
    fire: async (marker, begin) => {
      const t0 = performance.now();
      begin(t0);
      const res = await send(marker);
      const responseMs = performance.now() - t0;
      if (!res.ok) {
        throw new Error(`${label}: ${res.status} ${await res.text()}`);
      }
      await res.body?.cancel();
      return { responseMs };
    },
  });
  const summary = summarizeRounds(result);
  lastP50[label] = summary.lastMs.p50;
  console.error(
    `${label}: last subscriber p50 ${summary.lastMs.p50} ms (p99 ${summary.lastMs.p99}), server CPU/round ${summary.perRound.serverCpuMs} ms, missing ${summary.missing}`,
  );
  return summary;
}

if (SIDES.includes("nchan")) {
  const start = await startNchan({ workers: 1, connections: N + 1000 });
  if (!start.ok) {
    console.error(`peer skipped: ${start.reason}`);
    sides.nchan = { skipped: start.reason };
  } else {
    const { nchan } = start;
    const fleet = await SseFleet.open(
      Array.from({ length: N }, () => ({ path: "/sub?c=all" })),
      { ...OPEN, port: nchan.port, readyMarker: ": hi" },
    );
    try {
      const [worker] = nchan.workerPids();
      sides.nchan = {
        what: `nginx ${nchan.version} + nchan, worker_processes 1, SSE`,
        broadcast: await broadcastRounds(
          "nchan",
          fleet,
          worker ?? 0,
          (marker) => nchan.publish(["all"], payload(marker)),
        ),
      };
    } finally {
      fleet.close();
      await nchan.close();
    }
  }
}

if (SIDES.includes("floor")) {
  const floor: Record<string, unknown> = {};
  for (const via of ["sse", "websocket"] as const) {
    const worker = await startFloorWorker();
    const path = via === "sse" ? "/do" : "/ws";
    const fleet = await SseFleet.open(
      Array.from(
        { length: N },
        () => ({ path, websocket: via === "websocket" }),
      ),
      {
        ...OPEN,
        port: worker.port,
        readyMarker: "connected",
        pingEveryMs: HEARTBEAT_MS,
      },
    );
    try {
      const pid = workerdOf(Deno.pid);
      floor[via] = await broadcastRounds(
        `floor-${via}`,
        fleet,
        pid,
        (marker) =>
          fetch(`${worker.url}${path}/pub`, {
            method: "POST",
            body: payload(marker),
          }),
      );
    } finally {
      fleet.close();
      await worker.close();
    }
  }
  sides.workerdFloor = {
    what:
      "one Durable Object holding every SSE stream (or hibernatable WebSocket) and writing the same bytes to each",
    ...floor,
  };
}

if (SIDES.includes("herald")) {
  const herald: Record<string, unknown> = { shards: Number(SHARDS) };
  for (const via of ["sse", "websocket"] as const) {
    const stack = await startRemoteStack({ REALTIME_SHARDS: SHARDS });
    try {
      const specs: SubscriberSpec[] = [];
      for (let i = 0; i < N; i++) {
        const token = await stack.userToken(`fan-${i}`, { roles: ["all"] });
        specs.push({
          path: "/v1/stream",
          headers: { authorization: `Bearer ${token}` },
          websocket: via === "websocket",
        });
      }
      const { workerd } = stack.pids();
      const rssBefore = memoryOf(workerd).rssKiB;
      const opened = performance.now();
      const fleet = await SseFleet.open(specs, {
        ...OPEN,
        port: Number(new URL(stack.url).port),
        readyMarker: "connected",
        pingEveryMs: HEARTBEAT_MS,
      });
      try {
        const openMs = performance.now() - opened;
        herald[via] = {
          openSeconds: round2(openMs / 1000),
          workerdRssDeltaKiB: memoryOf(workerd).rssKiB - rssBefore,
          broadcast: await broadcastRounds(
            `herald-${via}`,
            fleet,
            workerd,
            (marker) =>
              stack.admin("/v1/notifications", {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify({
                  roles: ["all"],
                  type: "bench.fanout",
                  title: marker,
                  body: "",
                }),
              }),
          ),
          closedByServer: fleet.closedUnexpectedly,
        };
      } finally {
        fleet.close();
      }
    } finally {
      await stack.close();
    }
  }
  sides.herald = herald;
}

const ratio = (a: string, b: string) =>
  lastP50[a] && lastP50[b] ? round2(lastP50[a] / lastP50[b]) : null;
const ratios = {
  note:
    "median over rounds of the time until the last subscriber had the event, A ÷ B",
  sseToFloor: ratio("herald-sse", "floor-sse"),
  websocketToFloor: ratio("herald-websocket", "floor-websocket"),
  sseToNchan: ratio("herald-sse", "nchan"),
  websocketToNchan: ratio("herald-websocket", "nchan"),
  floorSseToNchan: ratio("floor-sse", "nchan"),
};
await report(`fanout${SHARDS === "16" ? "" : `-shards${SHARDS}`}`, {
  machine: { cores: navigator.hardwareConcurrency, deno: Deno.version.deno },
  loadAverage: {
    atStart: loadAtStart,
    atEnd: (await Deno.readTextFile("/proc/loadavg")).trim(),
  },
  shape: { subscribers: N, rounds: ROUNDS, shards: Number(SHARDS) },
  sides,
  ratios,
  targets: {
    "≤ 1.5× workerd's floor": {
      sse: ratios.sseToFloor,
      websocket: ratios.websocketToFloor,
      met: ratios.sseToFloor !== null && ratios.websocketToFloor !== null &&
        ratios.sseToFloor <= 1.5 && ratios.websocketToFloor <= 1.5,
    },
  },
  wallSeconds: Math.round((performance.now() - started) / 1000),
});

/** The workerd process Miniflare spawned for the floor, in this process. */
function workerdOf(ppid: number): number {
  const [pid] = childPids(ppid, "workerd");
  if (pid === undefined) throw new Error("No workerd child process");
  return pid;
}
