import { startTestStack } from "../tests/support/test_stack.ts";
import {
  ensureFileLimit,
  liveSubscribers,
  streamSpecs,
  workerdPid,
} from "./support/herald.ts";
import { startNchan } from "./support/nchan.ts";
import { type Memory, memoryOf, memoryOfAll } from "./support/processes.ts";
import { round2 } from "./support/rounds.ts";
import { type OpenOptions, SseFleet } from "./support/sse_fleet.ts";
import { startFloorWorker } from "./support/workerd_floor.ts";
import { report } from "./stats.ts";

/**
 * Server memory per idle SSE subscriber: resident memory (VmRSS from
 * /proc/<pid>/status) of the server process(es) before and after opening N
 * idle subscribers, as a slope over batches of 1,000 (so one-off growth —
 * code compiled, pools filled — is not charged to subscribers) and as the
 * plain (after − before) / N. The client's own memory (this Deno process:
 * sockets, 4 KiB read buffers, and the stand-ins serving the opens) is
 * reported apart and never counted.
 *
 * - herald, one channel: BENCH_BATCHES × 1,000 streams, each batch one user
 *   with no role claims (a channel holds at most 1,000) — single-channel
 *   streams that the Worker passes through.
 * - herald, one stream per user: 1,000 users, so each subscriber also
 *   brings its own channel Durable Object (the common case in production).
 * - cleanup: every client socket closed at once; how long until the
 *   realtime directory counts no subscriber, and workerd's RSS then.
 * - workerd floor (support/workerd_floor.ts): the same workerd with a bare
 *   Worker holding a ReadableStream, and one passing a Durable Object's
 *   stream through — what any SSE connection costs there.
 * - nchan (peer): the same number of single-channel subscribers on nginx +
 *   nchan (worker_processes 1), master + worker RSS. Skipped, with the
 *   reason, when nginx or the module is missing (Debian: apt-get install -y
 *   nginx-light libnginx-mod-nchan); nothing is installed here.
 *
 * Target (issue 4): ≤ 8 KB per idle subscriber. Needs `deno task build`.
 * Env: BENCH_BATCHES (5).
 */
const BATCH = 1000;
const BATCHES = Number(Deno.env.get("BENCH_BATCHES") ?? 5);
const TARGET_KIB = 8;
const SETTLE_MS = 2_000;

await ensureFileLimit(BATCH * BATCHES);
const started = performance.now();
const figures: Record<string, unknown> = {};
let heraldOne: number | null = null;
let heraldUser: number | null = null;
let nchanOne: number | null = null;

// -- Herald ---------------------------------------------------------------
{
  const stack = await startTestStack();
  const fleets: SseFleet[] = [];
  try {
    const pid = workerdPid();
    const open: OpenOptions = {
      hostname: "127.0.0.1",
      port: Number(new URL(stack.url).port),
      readyMarker: "event: connected",
      concurrency: 32,
    };
    const oneChannel = await measure(pid, BATCHES, async (b) => {
      const fleet = await SseFleet.open(
        await streamSpecs(stack, `mem-${b}`, [], BATCH),
        open,
      );
      fleets.push(fleet);
    });
    const perUser = await measure(pid, 1, async () => {
      const specs = [];
      for (let u = 0; u < BATCH; u++) {
        specs.push(...await streamSpecs(stack, `solo-${u}`, [], 1));
      }
      fleets.push(await SseFleet.open(specs, open));
    });
    const subscribers = fleets.reduce((n, f) => n + f.size, 0);
    // Channels report to the directory shortly after a change: wait until
    // it has them all, so that the time to zero below means something.
    let counted = await liveSubscribers(stack);
    for (let i = 0; i < 40 && counted !== subscribers; i++) {
      await sleep(250);
      counted = await liveSubscribers(stack);
    }
    const closedAt = performance.now();
    for (const fleet of fleets) fleet.close();
    let zeroAfterMs: number | null = null;
    while (performance.now() - closedAt < 40_000) {
      if (await liveSubscribers(stack) === 0) {
        zeroAfterMs = round2(performance.now() - closedAt);
        break;
      }
      await sleep(250);
    }
    await sleep(SETTLE_MS);
    heraldOne = oneChannel.slopeKiBPerSubscriber;
    heraldUser = perUser.slopeKiBPerSubscriber;
    figures.herald = {
      oneChannel: {
        what:
          `${BATCHES} users × ${BATCH} streams, no role claims: single-channel pass-through`,
        ...oneChannel,
      },
      oneStreamPerUser: {
        what: `${BATCH} users × 1 stream: each with its own channel object`,
        ...perUser,
      },
      cleanup: {
        subscribersOpen: subscribers,
        directoryCountedOpen: counted,
        msUntilDirectoryCountsZero: zeroAfterMs,
        rssAfterCloseKiB: memoryOf(pid).rssKiB,
      },
    };
  } finally {
    for (const fleet of fleets) fleet.close();
    await stack.close();
  }
}

// -- workerd floor --------------------------------------------------------
{
  const floor: Record<string, unknown> = {};
  for (const path of ["/direct", "/do"]) {
    const worker = await startFloorWorker();
    const fleets: SseFleet[] = [];
    try {
      const pid = workerdPid();
      floor[path.slice(1)] = await measure(pid, 2, async () => {
        fleets.push(
          await SseFleet.open(
            Array.from({ length: BATCH }, () => ({ path })),
            {
              hostname: "127.0.0.1",
              port: worker.port,
              readyMarker: "event: connected",
              concurrency: 32,
            },
          ),
        );
      });
    } finally {
      for (const fleet of fleets) fleet.close();
      await worker.close();
    }
  }
  figures.workerdFloor = {
    what:
      "a bare Worker holding a ReadableStream (direct), and passing a Durable Object's stream through (do)",
    ...floor,
  };
}

// -- nchan ----------------------------------------------------------------
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
    const fleets: SseFleet[] = [];
    try {
      const pids = nchan.pids();
      const measured = await measureAll(pids, BATCHES, async (b) => {
        fleets.push(
          await SseFleet.open(
            Array.from({ length: BATCH }, () => ({ path: `/sub?c=mem${b}` })),
            {
              hostname: "127.0.0.1",
              port: nchan.port,
              readyMarker: ": hi",
              concurrency: 32,
            },
          ),
        );
      });
      nchanOne = measured.slopeKiBPerSubscriber;
      figures.nchan = {
        what:
          `${BATCHES} channels × ${BATCH} subscribers, nginx ${nchan.version} + nchan, worker_processes 1; master + worker RSS`,
        ...measured,
      };
    } finally {
      for (const fleet of fleets) fleet.close();
      await nchan.close();
    }
  }
}

await report("memory", {
  ...figures,
  ratios: {
    note: "Herald ÷ nchan, KiB per idle subscriber (slope)",
    oneChannel: heraldOne !== null && nchanOne
      ? round2(heraldOne / nchanOne)
      : null,
    oneStreamPerUser: heraldUser !== null && nchanOne
      ? round2(heraldUser / nchanOne)
      : null,
  },
  targets: {
    [`≤ ${TARGET_KIB} KB per idle subscriber`]: {
      met: heraldOne !== null && heraldOne <= TARGET_KIB,
      oneChannelKiB: heraldOne,
      oneStreamPerUserKiB: heraldUser,
    },
  },
  wallSeconds: round2((performance.now() - started) / 1000),
});

interface Measured {
  subscribers: number;
  /** Least-squares slope of RSS over batches, KiB per subscriber. */
  slopeKiBPerSubscriber: number;
  /** (after − before) / subscribers, KiB. */
  deltaKiBPerSubscriber: number;
  before: Memory;
  after: Memory;
  rssKiBAfterBatch: number[];
  clientRssDeltaKiB: number;
  openMs: number;
}

function measure(
  pid: number,
  batches: number,
  openBatch: (b: number) => Promise<void>,
): Promise<Measured> {
  return measureAll([pid], batches, openBatch);
}

async function measureAll(
  pids: readonly number[],
  batches: number,
  openBatch: (b: number) => Promise<void>,
): Promise<Measured> {
  await sleep(SETTLE_MS);
  const before = memoryOfAll(pids);
  const client = memoryOf(Deno.pid).rssKiB;
  const points = [{ n: 0, kiB: before.rssKiB }];
  const t = performance.now();
  for (let b = 0; b < batches; b++) {
    await openBatch(b);
    await sleep(SETTLE_MS);
    points.push({ n: (b + 1) * BATCH, kiB: memoryOfAll(pids).rssKiB });
  }
  const openMs = performance.now() - t - batches * SETTLE_MS;
  const after = memoryOfAll(pids);
  const n = batches * BATCH;
  return {
    subscribers: n,
    slopeKiBPerSubscriber: round2(slope(points)),
    deltaKiBPerSubscriber: round2((after.rssKiB - before.rssKiB) / n),
    before,
    after,
    rssKiBAfterBatch: points.slice(1).map((p) => p.kiB),
    clientRssDeltaKiB: memoryOf(Deno.pid).rssKiB - client,
    openMs: round2(openMs),
  };
}

/**
 * Least squares over the points after the first batch (past start-up
 * growth); with a single batch, the plain delta.
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
