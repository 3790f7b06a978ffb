import { startRemoteStack } from "./support/remote_stack.ts";
import { cpuMs } from "./support/processes.ts";
import { report, summarize } from "./stats.ts";

/**
 * What refusing a hostile body costs the Worker: `PATCH
 * /v1/users/{id}/preferences` with bodies nested past the depth limit
 * (an object 7,000 levels deep, 42 KB; an array 10,000 levels, 20 KB),
 * against plain 400s on the same route (the floors): a small body that
 * fails validation, and one of the same size as the deepest (a 42 KB
 * string where a zone belongs), so reading the bytes is in both. Rounds
 * alternate the kinds so drift hits each alike; workerd's CPU per request
 * comes from /proc. Goal (issue 19): ≤ 2× the plain 400's CPU. Needs
 * `deno task build`. Env: BENCH_ROUNDS (10), BENCH_REQUESTS (200 a round).
 */
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 10);
const REQUESTS = Number(Deno.env.get("BENCH_REQUESTS") ?? 200);
const GOAL = 2;

const deepObject = '{"a":'.repeat(7_000) + "1" + "}".repeat(7_000);
const BODIES = {
  "plain 400 (small)": '{"timezone":5}',
  "plain 400 (42 KB)": JSON.stringify({ timezone: "x".repeat(42_000) }),
  "object nested 7,000 levels (42 KB)": deepObject,
  "array nested 10,000 levels (20 KB)": "[".repeat(10_000) +
    "]".repeat(10_000),
} as const;
type Kind = keyof typeof BODIES;

const stack = await startRemoteStack();

async function round(kind: Kind): Promise<{ cpu: number; ms: number[] }> {
  const body = BODIES[kind];
  const ms: number[] = [];
  const before = cpuMs(stack.pids().workerd);
  for (let i = 0; i < REQUESTS; i++) {
    const t0 = performance.now();
    const res = await stack.admin("/v1/users/bench-hostile/preferences", {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body,
    });
    await res.body?.cancel();
    ms.push(performance.now() - t0);
    if (res.status !== 400) throw new Error(`${kind}: ${res.status}`);
  }
  return { cpu: (cpuMs(stack.pids().workerd) - before) / REQUESTS, ms };
}

try {
  const kinds = Object.keys(BODIES) as Kind[];
  for (const kind of kinds) await round(kind); // warm-up
  const cpu: Record<string, number[]> = {};
  const latency: Record<string, number[]> = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const kind of kinds) {
      const one = await round(kind);
      (cpu[kind] ??= []).push(one.cpu);
      (latency[kind] ??= []).push(...one.ms);
    }
  }
  const median = (xs: number[]) => summarize(xs).p50;
  const floor = median(cpu["plain 400 (small)"] ?? []);
  const sameSize = median(cpu["plain 400 (42 KB)"] ?? []);
  const figures = Object.fromEntries(kinds.map((kind) => {
    const perRequest = median(cpu[kind] ?? []);
    return [kind, {
      workerdCpuMsPerRequest: Math.round(perRequest * 1000) / 1000,
      toSmallFloor: Math.round(perRequest / floor * 100) / 100,
      toSameSizeFloor: Math.round(perRequest / sameSize * 100) / 100,
      latencyMs: summarize(latency[kind] ?? []),
    }];
  }));
  for (const [kind, f] of Object.entries(figures)) {
    console.error(
      `${kind}: ${f.workerdCpuMsPerRequest} ms CPU/request, ${f.toSmallFloor}× the small 400, ${f.toSameSizeFloor}× the 42 KB 400, p99 ${f.latencyMs.p99} ms`,
    );
  }
  await report("hostile_body", {
    rounds: ROUNDS,
    requestsPerRound: REQUESTS,
    goal: `≤ ${GOAL}× the plain 400's workerd CPU`,
    figures,
  });
} finally {
  await stack.close();
}
