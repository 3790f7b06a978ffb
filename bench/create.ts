import { z } from "zod";
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
 * Target (issue 12): ≥ 300/s with p50 ≤ 10 ms. Needs `deno task build`.
 * Env: BENCH_REQUESTS (2000 per concurrency), BENCH_CONCURRENCY ("1,4,8"),
 * BENCH_USERS (1000).
 */
const REQUESTS = Number(Deno.env.get("BENCH_REQUESTS") ?? 2000);
const CONCURRENCY = (Deno.env.get("BENCH_CONCURRENCY") ?? "1,4,8").split(",")
  .map(Number);
const USERS = Number(Deno.env.get("BENCH_USERS") ?? 1000);
const WARMUP = 300;

const created = z.object({ created: z.literal(true) });

const stack = await startRemoteStack();
let n = 0;
async function createOne(): Promise<{ ms: number; phases: Phases }> {
  const userId = `create-${Math.floor(Math.random() * USERS)}`;
  const t0 = performance.now();
  const res = await stack.admin("/v1/notifications", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      userId,
      type: "bench.create",
      title: `n${n++}`,
      body: "",
    }),
  });
  const body = await res.json();
  const ms = performance.now() - t0;
  if (res.status !== 201) {
    throw new Error(`POST /v1/notifications ${res.status}`);
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

/** CPU ms so far: workerd, the stand-ins (with redis-server), this client. */
function cpuByProcess(): Record<string, number> {
  const { workerd, standIns } = stack.pids();
  return {
    workerd: cpuMs(workerd),
    standIns: [standIns, ...childPids(standIns, "redis")].reduce(
      (sum, pid) => sum + cpuMs(pid),
      0,
    ),
    client: cpuMs(Deno.pid),
  };
}

async function closedLoop(concurrency: number, requests: number) {
  const latencies: number[] = [];
  const phases: Record<string, number[]> = {};
  let left = requests;
  const cpuBefore = cpuByProcess();
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (left-- > 0) {
      const one = await createOne();
      latencies.push(one.ms);
      for (const [name, ms] of Object.entries(one.phases)) {
        (phases[name] ??= []).push(ms);
      }
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = cpuByProcess();
  return {
    concurrency,
    requests,
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

try {
  const load = await Deno.readTextFile("/proc/loadavg");
  await closedLoop(4, WARMUP);
  const qstashBefore = await stack.qstashCalls();
  const runs = [];
  for (const concurrency of CONCURRENCY) {
    const run = await closedLoop(concurrency, REQUESTS);
    console.error(
      `concurrency ${concurrency}: ${run.perSecond}/s, p50 ${run.latencyMs.p50} ms, p99 ${run.latencyMs.p99} ms, server ${
        JSON.stringify(run.serverTimingP50Ms)
      }, cpu/request ${JSON.stringify(run.cpuMsPerRequest)}`,
    );
    runs.push(run);
  }
  const qstashCalls = (await stack.qstashCalls()) - qstashBefore;
  const best = runs.find((r) => r.latencyMs.p50 <= 10 && r.perSecond >= 300);
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
    },
  });
} finally {
  await stack.close();
}
