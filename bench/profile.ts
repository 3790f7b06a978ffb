import { startScratchStandIns } from "../tests/support/scratch_stand_ins.ts";
import { startTestWorker } from "../tests/support/test_stack.ts";
import { connectProfiler, type ProfileSummary } from "./support/cpu_profile.ts";
import { SseFleet } from "./support/sse_fleet.ts";
import { report } from "./stats.ts";

/**
 * Where the Worker's milliseconds go: V8 CPU profiles of workerd's isolate
 * (the Worker and its shards) while it serves (1) create-and-notify
 * requests to single users, one at a time, and (2) role broadcasts to
 * BENCH_SUBSCRIBERS WebSocket subscribers — by function and by bundle
 * file, per request. Sampled wall time on a shared machine: read shares,
 * not absolutes. Needs `deno task build`. Env: BENCH_REQUESTS (500),
 * BENCH_BROADCASTS (10), BENCH_SUBSCRIBERS (2000), BENCH_INSPECTOR (9239).
 */
const REQUESTS = Number(Deno.env.get("BENCH_REQUESTS") ?? 500);
const BROADCASTS = Number(Deno.env.get("BENCH_BROADCASTS") ?? 10);
const SUBSCRIBERS = Number(Deno.env.get("BENCH_SUBSCRIBERS") ?? 2000);
const PORT = Number(Deno.env.get("BENCH_INSPECTOR") ?? 9239);

const standIns = await startScratchStandIns();
const worker = await startTestWorker(standIns.env, {}, {
  inspectorPort: PORT,
  staticAssets: false,
});
const profiler = await connectProfiler(PORT);
const results: Record<string, ProfileSummary & { perUnitMs: number }> = {};
try {
  const post = async (body: unknown) => {
    const res = await worker.admin("/v1/notifications", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (res.status !== 201) throw new Error(`create ${res.status}`);
    await res.body?.cancel();
  };
  const create = (i: number) =>
    post({ userId: `p-${i % 100}`, type: "bench.profile", title: `t${i}` });
  for (let i = 0; i < 200; i++) await create(i);
  profiler.start();
  for (let i = 0; i < REQUESTS; i++) await create(i);
  const creates = await profiler.stop();
  results.create = { ...creates, perUnitMs: round(creates.totalMs / REQUESTS) };

  const specs = [];
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const token = await worker.userToken(`prof-${i}`, ["all"]);
    specs.push({
      path: "/v1/stream",
      headers: { authorization: `Bearer ${token}` },
      websocket: true,
    });
  }
  const fleet = await SseFleet.open(specs, {
    hostname: "127.0.0.1",
    port: Number(new URL(worker.url).port),
    readyMarker: "connected",
    pingEveryMs: 15_000,
    concurrency: 32,
  });
  try {
    const broadcast = async (b: number) => {
      const marker = `profile-${b}-${crypto.randomUUID().slice(0, 8)}`;
      const arrived = fleet.expect(marker);
      await post({ roles: ["all"], type: "bench.profile", title: marker });
      await arrived;
      await fleet.quiet(300);
    };
    await broadcast(-1);
    profiler.start();
    for (let b = 0; b < BROADCASTS; b++) await broadcast(b);
    const broadcasts = await profiler.stop();
    results.broadcast = {
      ...broadcasts,
      perUnitMs: round(broadcasts.totalMs / BROADCASTS),
    };
  } finally {
    fleet.close();
  }
} finally {
  profiler.close();
  await worker.close();
  await standIns.close();
}

await report("profile", {
  machine: { cores: navigator.hardwareConcurrency, deno: Deno.version.deno },
  loadAverage: (await Deno.readTextFile("/proc/loadavg")).trim(),
  shape: {
    requests: REQUESTS,
    broadcasts: BROADCASTS,
    subscribers: SUBSCRIBERS,
  },
  results,
});

function round(x: number) {
  return Math.round(x * 100) / 100;
}
