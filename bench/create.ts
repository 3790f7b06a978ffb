import { z } from "zod";
import { fileURLToPath } from "node:url";
import { startChild } from "./support/child_process.ts";
import { childPids, cpuMs } from "./support/processes.ts";
import { startRemoteStack } from "./support/remote_stack.ts";
import { report, summarize } from "./stats.ts";

/**
 * Create-and-notify throughput: `POST /v1/notifications` to single users
 * (random among BENCH_USERS), closed loop at each concurrency in
 * BENCH_CONCURRENCY, on the stack laid out as `deno task dev` runs it
 * (stand-ins and workerd in processes of their own; this process is only
 * the client). Each request's `Server-Timing` says where its time went
 * inside the Worker (store, notify); the rest of the client's latency is
 * the loopback hop and workerd's own request handling.
 *
 * Beside it, in the same run and against the same stand-ins, its floor
 * (support/create_floor.ts): a bare Worker in its own workerd, the same
 * workerd build and flags, doing the same I/O per request (one libSQL
 * batch, one shard RPC, one Redis call, the outbox cleared in the
 * background). Each concurrency runs Herald and then the floor, and
 * Herald's workerd CPU per create and its rate are reported as ratios to
 * the floor's, so the figure does not move with the machine.
 *
 * Targets (issue 12, issue 20): ≥ 300/s with p50 ≤ 10 ms; ≤ 1.3× the
 * floor's workerd CPU per request. Needs `deno task build`.
 * Env: BENCH_REQUESTS (2000 per concurrency and side), BENCH_CONCURRENCY
 * ("1,4,8"), BENCH_USERS (1000).
 */
const REQUESTS = Number(Deno.env.get("BENCH_REQUESTS") ?? 2000);
const CONCURRENCY = (Deno.env.get("BENCH_CONCURRENCY") ?? "1,4,8").split(",")
  .map(Number);
const USERS = Number(Deno.env.get("BENCH_USERS") ?? 1000);
const WARMUP = 300;
const CPU_GOAL = 1.3;

const created = z.object({ created: z.literal(true) });

const stack = await startRemoteStack();
const floorChild = await startChild(
  fileURLToPath(new URL("./support/create_floor_process.ts", import.meta.url)),
  [JSON.stringify(stack.standInsEnv)],
  z.object({ url: z.string() }),
).catch(async (error) => {
  await stack.close();
  throw error;
});

/** One side of the comparison: where its requests go, and its workerd. */
interface Side {
  name: "herald" | "floor";
  post(body: string): Promise<Response>;
  workerd(): number;
}

const herald: Side = {
  name: "herald",
  post: (body) =>
    stack.admin("/v1/notifications", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    }),
  workerd: () => stack.pids().workerd,
};

const floor: Side = {
  name: "floor",
  post: (body) =>
    fetch(`${floorChild.info.url}/v1/notifications`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    }),
  workerd() {
    const [pid] = childPids(floorChild.pid, "workerd");
    if (pid === undefined) throw new Error("No floor workerd process found");
    return pid;
  },
};

let n = 0;
async function createOne(
  side: Side,
): Promise<{ ms: number; phases: Phases }> {
  // Each side its own users, so neither's counts grow with the other's.
  const userId = `${side.name}-${Math.floor(Math.random() * USERS)}`;
  const t0 = performance.now();
  const res = await side.post(JSON.stringify({
    userId,
    type: "bench.create",
    title: `n${n++}`,
    body: "",
  }));
  const body = await res.json();
  const ms = performance.now() - t0;
  if (res.status !== 201) {
    throw new Error(`${side.name}: POST /v1/notifications ${res.status}`);
  }
  created.parse(body);
  return { ms, phases: serverTiming(res.headers.get("server-timing")) };
}

type Phases = Record<string, number>;

/** `name;dur=1.5, other;dur=2` → {name: 1.5, other: 2}. */
function serverTiming(header: string | null): Phases {
  const out: Phases = {};
  for (const part of (header ?? "").split(",")) {
    const match = /^\s*([\w-]+);dur=([\d.]+)/.exec(part);
    if (match?.[1] && match[2]) out[match[1]] = Number(match[2]);
  }
  return out;
}

/** CPU ms so far: the side's workerd, the stand-ins (with redis-server), this client. */
function cpuByProcess(side: Side): Record<string, number> {
  const { standIns } = stack.pids();
  return {
    workerd: cpuMs(side.workerd()),
    standIns: [standIns, ...childPids(standIns, "redis")].reduce(
      (sum, pid) => sum + cpuMs(pid),
      0,
    ),
    client: cpuMs(Deno.pid),
  };
}

async function closedLoop(side: Side, concurrency: number, requests: number) {
  const latencies: number[] = [];
  const phases: Record<string, number[]> = {};
  let left = requests;
  const cpuBefore = cpuByProcess(side);
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (left-- > 0) {
      const one = await createOne(side);
      latencies.push(one.ms);
      for (const [name, ms] of Object.entries(one.phases)) {
        (phases[name] ??= []).push(ms);
      }
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = cpuByProcess(side);
  return {
    perSecond: Math.round(requests / seconds),
    latencyMs: summarize(latencies),
    serverTimingP50Ms: Object.fromEntries(
      Object.entries(phases).map(([name, list]) => [name, summarize(list).p50]),
    ),
    cpuMsPerRequest: Object.fromEntries(
      Object.entries(cpuAfter).map(([name, ms]) => [
        name,
        Math.round((ms - (cpuBefore[name] ?? 0)) / requests * 100) / 100,
      ]),
    ),
  };
}

const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0
    ? null
    : Math.round(a / b * 100) / 100;

try {
  const load = await Deno.readTextFile("/proc/loadavg");
  await closedLoop(herald, 4, WARMUP);
  await closedLoop(floor, 4, WARMUP);
  const qstashBefore = await stack.qstashCalls();
  const runs = [];
  for (const concurrency of CONCURRENCY) {
    const h = await closedLoop(herald, concurrency, REQUESTS);
    const f = await closedLoop(floor, concurrency, REQUESTS);
    const toFloor = {
      workerdCpuPerRequest: ratio(
        h.cpuMsPerRequest.workerd,
        f.cpuMsPerRequest.workerd,
      ),
      perSecond: ratio(h.perSecond, f.perSecond),
      p50: ratio(h.latencyMs.p50, f.latencyMs.p50),
    };
    console.error(
      `concurrency ${concurrency}: herald ${h.perSecond}/s, p50 ${h.latencyMs.p50} ms, p99 ${h.latencyMs.p99} ms, server ${
        JSON.stringify(h.serverTimingP50Ms)
      }, cpu/request ${
        JSON.stringify(h.cpuMsPerRequest)
      }; floor ${f.perSecond}/s, p50 ${f.latencyMs.p50} ms, cpu/request ${
        JSON.stringify(f.cpuMsPerRequest)
      }; to floor ${JSON.stringify(toFloor)}`,
    );
    runs.push({
      concurrency,
      requests: REQUESTS,
      herald: h,
      floor: f,
      toFloor,
    });
  }
  const qstashCalls = (await stack.qstashCalls()) - qstashBefore;
  const best = runs.find((r) =>
    r.herald.latencyMs.p50 <= 10 && r.herald.perSecond >= 300
  );
  const cpuRatios = runs.map((r) => r.toFloor.workerdCpuPerRequest);
  await report("create", {
    machine: { cores: navigator.hardwareConcurrency, deno: Deno.version.deno },
    loadAverageAtStart: load.trim(),
    users: USERS,
    runs,
    qstashCallsPerRequest: qstashCalls / (REQUESTS * CONCURRENCY.length),
    targets: {
      "≥ 300/s with p50 ≤ 10 ms": best
        ? { met: true, concurrency: best.concurrency }
        : { met: false },
      [`≤ ${CPU_GOAL}× the floor's workerd CPU per request`]: {
        ratios: cpuRatios,
        met: cpuRatios.every((r) => r !== null && r <= CPU_GOAL),
      },
    },
  });
} finally {
  await floorChild.stop();
  await stack.close();
}
