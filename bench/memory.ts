import { fileURLToPath } from "node:url";
import { z } from "zod";
import { startScratchStandIns } from "../tests/support/scratch_stand_ins.ts";
import { startChild } from "./support/child_process.ts";
import { startDenoHerald } from "./support/deno_entry.ts";
import { ensureFileLimit } from "./support/file_limit.ts";
import { startNchan } from "./support/nchan.ts";
import { childPids, type Memory, memoryOfAll } from "./support/processes.ts";
import { startRemoteStack } from "./support/remote_stack.ts";
import { round2 } from "./support/rounds.ts";
import { SseFleet, type SubscriberSpec } from "./support/sse_fleet.ts";
import { startFloorWorker } from "./support/workerd_floor.ts";
import { report } from "./stats.ts";

/**
 * Server memory per idle subscriber: resident memory (VmRSS) of the server
 * process(es) as BENCH_BATCHES × 1,000 idle subscribers are opened, as the
 * least-squares slope over the batches (one-off growth — code compiled,
 * pools filled — is not charged to subscribers). Each runtime beside its
 * own floor, in the same run, one after the other:
 *
 * - workerd: Herald (one stream per user: SSE bridged by the Worker, and
 *   WebSocket straight to the shards), against support/workerd_floor.ts —
 *   a bare Worker holding an SSE stream, and a bare Durable Object holding
 *   hibernatable WebSockets.
 * - Deno: Herald's Deno entry (`src/deno.ts`, in-process channels), SSE and
 *   WebSocket, against support/deno_floor.ts — a bare `Deno.serve` holding
 *   the same streams or sockets.
 * - nchan (worker_processes 1): SSE subscribers, master + worker RSS.
 *   Skipped, with the reason, without nginx + nchan.
 *
 * Each side also sits idle past workerd's eviction of idle objects (~10 s)
 * and is measured again (`afterIdleKiBPerSubscriber`).
 *
 * The client (this process) is never counted. Target (issue 12): ≤ 1.25×
 * the runtime's floor. Needs `deno task build`. Env: BENCH_BATCHES (5).
 */
const BATCH = 1000;
const BATCHES = Number(Deno.env.get("BENCH_BATCHES") ?? 5);
const SETTLE_MS = 2_000;
/** Past workerd's eviction of an idle object (~10 s). */
const IDLE_MS = 15_000;
const HEARTBEAT_MS = 15_000;

await ensureFileLimit(BATCH * BATCHES + 500);
const loadAtStart = (await Deno.readTextFile("/proc/loadavg")).trim();
const started = performance.now();
const figures: Record<string, Record<string, Measured | string>> = {};
const slopes: Record<string, number> = {};

interface Measured {
  subscribers: number;
  /** Least-squares slope of RSS over batches, KiB per subscriber. */
  slopeKiBPerSubscriber: number;
  /** (after − before) / subscribers, KiB. */
  deltaKiBPerSubscriber: number;
  before: Memory;
  after: Memory;
  rssKiBAfterBatch: number[];
  /**
   * (RSS after everything sat idle past workerd's eviction of idle
   * objects − before) / subscribers, KiB: what hibernation gives back.
   */
  afterIdleKiBPerSubscriber: number;
}

/**
 * Opens BATCHES batches of subscribers from `specsOf(batch)` against
 * `port`, measuring `pids()` after each; closes them after.
 */
async function measure(
  label: string,
  pids: () => number[],
  port: number,
  specsOf: (batch: number) => Promise<SubscriberSpec[]>,
  readyMarker: string,
): Promise<Measured> {
  await sleep(SETTLE_MS);
  const before = memoryOfAll(pids());
  const points = [{ n: 0, kiB: before.rssKiB }];
  const fleets: SseFleet[] = [];
  try {
    for (let b = 0; b < BATCHES; b++) {
      const fleet = await SseFleet.open(await specsOf(b), {
        hostname: "127.0.0.1",
        port,
        readyMarker,
        concurrency: 32,
        pingEveryMs: HEARTBEAT_MS,
      });
      fleets.push(fleet);
      await sleep(SETTLE_MS);
      points.push({ n: (b + 1) * BATCH, kiB: memoryOfAll(pids()).rssKiB });
    }
    const after = memoryOfAll(pids());
    const n = BATCHES * BATCH;
    await sleep(IDLE_MS);
    const idle = memoryOfAll(pids());
    const closed = fleets.reduce((sum, f) => sum + f.closedUnexpectedly, 0);
    if (closed > 0) throw new Error(`${label}: ${closed} streams closed`);
    const measured = {
      subscribers: n,
      slopeKiBPerSubscriber: round2(slope(points)),
      deltaKiBPerSubscriber: round2((after.rssKiB - before.rssKiB) / n),
      before,
      after,
      rssKiBAfterBatch: points.slice(1).map((p) => p.kiB),
      afterIdleKiBPerSubscriber: round2((idle.rssKiB - before.rssKiB) / n),
    };
    slopes[label] = measured.slopeKiBPerSubscriber;
    console.error(`${label}: ${measured.slopeKiBPerSubscriber} KiB/subscriber`);
    return measured;
  } finally {
    for (const fleet of fleets) fleet.close();
  }
}

const plain = (path: string, websocket = false) => (_b: number) =>
  Promise.resolve(
    Array.from({ length: BATCH }, () => ({ path, websocket })),
  );

// -- workerd: Herald, then its floor --------------------------------------
{
  const workerd: Record<string, Measured | string> = {};
  for (const via of ["sse", "websocket"] as const) {
    const stack = await startRemoteStack();
    try {
      const pid = stack.pids().workerd;
      workerd[`herald-${via}`] = await measure(
        `workerd herald-${via}`,
        () => [pid],
        Number(new URL(stack.url).port),
        async (b) => {
          const specs: SubscriberSpec[] = [];
          for (let i = 0; i < BATCH; i++) {
            const token = await stack.userToken(`mem-${b}-${i}`);
            specs.push({
              path: "/v1/stream",
              headers: { authorization: `Bearer ${token}` },
              websocket: via === "websocket",
            });
          }
          return specs;
        },
        "connected",
      );
    } finally {
      await stack.close();
    }
  }
  for (
    const [label, path, websocket] of [
      ["floor-sse", "/direct", false],
      ["floor-websocket", "/ws", true],
    ] as const
  ) {
    const floor = await startFloorWorker();
    try {
      const [pid] = childPids(Deno.pid, "workerd");
      if (pid === undefined) throw new Error("No workerd for the floor");
      workerd[label] = await measure(
        `workerd ${label}`,
        () => [pid],
        floor.port,
        plain(path, websocket),
        "connected",
      );
    } finally {
      await floor.close();
    }
  }
  figures.workerd = workerd;
}

// -- Deno: Herald's entry, then a bare Deno.serve --------------------------
{
  const deno: Record<string, Measured | string> = {};
  const standIns = await startScratchStandIns();
  try {
    for (const via of ["sse", "websocket"] as const) {
      const herald = await startDenoHerald(standIns.env, standIns.dir);
      try {
        deno[`herald-${via}`] = await measure(
          `deno herald-${via}`,
          () => [herald.pid],
          herald.port,
          async (b) => {
            const specs: SubscriberSpec[] = [];
            for (let i = 0; i < BATCH; i++) {
              const token = await herald.userToken(`mem-${via}-${b}-${i}`);
              specs.push({
                path: "/v1/stream",
                headers: { authorization: `Bearer ${token}` },
                websocket: via === "websocket",
              });
            }
            return specs;
          },
          "connected",
        );
      } finally {
        await herald.close();
      }
    }
  } finally {
    await standIns.close();
  }
  for (const via of ["sse", "websocket"] as const) {
    const floor = await startChild(
      fileURLToPath(new URL("./support/deno_floor.ts", import.meta.url)),
      [],
      z.object({ port: z.number() }),
    );
    try {
      deno[`floor-${via}`] = await measure(
        `deno floor-${via}`,
        () => [floor.pid],
        floor.info.port,
        plain(via === "sse" ? "/sse" : "/ws", via === "websocket"),
        "connected",
      );
    } finally {
      await floor.stop();
    }
  }
  figures.deno = deno;
}

// -- nchan ------------------------------------------------------------------
{
  const start = await startNchan({
    workers: 1,
    connections: BATCH * BATCHES + 1000,
  });
  if (!start.ok) {
    console.error(`peer skipped: ${start.reason}`);
    figures.nchan = { skipped: start.reason };
  } else {
    const { nchan } = start;
    try {
      figures.nchan = {
        [`nginx ${nchan.version} + nchan, worker_processes 1, SSE`]:
          await measure(
            "nchan",
            () => nchan.pids(),
            nchan.port,
            (b) => plain(`/sub?c=mem${b}`)(b),
            ": hi",
          ),
      };
    } finally {
      await nchan.close();
    }
  }
}

const ratio = (a: string, b: string) =>
  slopes[a] !== undefined && slopes[b] ? round2(slopes[a] / slopes[b]) : null;
const ratios = {
  note: "KiB per idle subscriber (slope), A ÷ B",
  workerdSseToFloor: ratio("workerd herald-sse", "workerd floor-sse"),
  workerdWebSocketToFloor: ratio(
    "workerd herald-websocket",
    "workerd floor-websocket",
  ),
  denoSseToFloor: ratio("deno herald-sse", "deno floor-sse"),
  denoWebSocketToFloor: ratio("deno herald-websocket", "deno floor-websocket"),
  workerdSseToNchan: ratio("workerd herald-sse", "nchan"),
  workerdWebSocketToNchan: ratio("workerd herald-websocket", "nchan"),
};
await report("memory", {
  machine: { cores: navigator.hardwareConcurrency, deno: Deno.version.deno },
  loadAverage: {
    atStart: loadAtStart,
    atEnd: (await Deno.readTextFile("/proc/loadavg")).trim(),
  },
  ...figures,
  ratios,
  targets: {
    "≤ 1.25× the runtime's floor": Object.fromEntries(
      Object.entries(ratios).filter(([k]) => k.endsWith("ToFloor")).map((
        [k, v],
      ) => [k, { ratio: v, met: typeof v === "number" && v <= 1.25 }]),
    ),
  },
  wallSeconds: round2((performance.now() - started) / 1000),
});

/**
 * Least squares over the points after the first batch (past start-up
 * growth); with fewer, the plain delta.
 */
function slope(all: readonly { n: number; kiB: number }[]): number {
  const points = all.length > 2 ? all.slice(1) : all;
  const mx = points.reduce((s, p) => s + p.n, 0) / points.length;
  const my = points.reduce((s, p) => s + p.kiB, 0) / points.length;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.n - mx) * (p.kiB - my);
    den += (p.n - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}
