import { startTestStack, type TestStack } from "../tests/support/test_stack.ts";
import {
  ensureFileLimit,
  liveSubscribers,
  postNotification,
  streamSpecs,
  workerdPid,
} from "./support/herald.ts";
import { type Nchan, startNchan } from "./support/nchan.ts";
import { cpuMs, memoryOf, memoryOfAll } from "./support/processes.ts";
import {
  range,
  round2,
  type RoundsResult,
  type RoundsSummary,
  runRounds,
  summarizeRounds,
} from "./support/rounds.ts";
import { SseFleet, type SubscriberSpec } from "./support/sse_fleet.ts";
import { report } from "./stats.ts";

/**
 * One broadcast to 1,000 and to 10,000 live SSE subscribers: the time from
 * the publishing request's start until the LAST subscriber has the event,
 * over several rounds — Herald on the local stack (the bundled Worker in
 * workerd via Miniflare, plus the stand-ins), and the same fan-out on nginx +
 * nchan as the peer, in the same run, one after the other (never at once:
 * they would share the 2 cores), with the same client code
 * (`support/sse_fleet.ts`: raw loopback TCP, one marker scan per read).
 * Also the server's memory per idle subscriber (RSS of the workerd process,
 * of nginx's processes), before/after opening them.
 *
 * Subscribers (identical shape on both sides): 10 users × 1,000 streams.
 * Each stream is user u_k's own channel multiplexed with role r_k's —
 * Herald merges the two channel streams in the Worker (a user JWT with
 * `roles: [r_k]`); nchan subscribes to `u_k,r_k`. The 1,000-subscriber
 * broadcast goes to r_0, the 10,000 one to r_0…r_9 in ONE request (Herald:
 * `POST /v1/notifications {roles:[…]}`, nchan: `POST /pub?c=r0,…,r9`).
 * Ten roles, not one, because a Herald channel takes at most 1,000 live
 * subscribers (DEFAULT_LIMITS.maxSubscribers; the bench checks the 1,001st
 * gets a 429). For attribution, two more 1,000-subscriber cases: a
 * notification to user u_0 (the same merged streams, via the user channel)
 * and to a user p whose 1,000 streams carry no roles — a single channel,
 * which Herald passes through untouched (nchan: `/sub?c=p`).
 *
 * Needs: `deno task build` first; for the peer, nginx with nchan (Debian:
 * `apt-get install -y nginx-light libnginx-mod-nchan`) — without it the
 * peer is skipped with the reason and Herald's figures are still reported.
 * Installs nothing. ~11,000 sockets on each side: the soft open-files limit
 * is raised to the hard one if needed (`prlimit`), else it stops and says
 * how to run it. Env: BENCH_ROUNDS (8), BENCH_USERS (10),
 * NCHAN_WORKERS (1: nginx then runs one event loop, like workerd's one JS
 * thread; 2 to give nchan both cores).
 */
const PER_USER = 1000; // Herald's per-channel cap: one more is refused.
const USERS = Number(Deno.env.get("BENCH_USERS") ?? 10);
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 8);
const NCHAN_WORKERS = Number(Deno.env.get("NCHAN_WORKERS") ?? 1);
const WARMUP = 2;
const TOTAL = USERS * PER_USER;
const OPEN_CONCURRENCY = 32;

const roles = range(0, USERS).map((k) => `r${k}`);
const usersIndices = (k: number) => range(k * PER_USER, PER_USER);
const passThroughIndices = range(TOTAL, PER_USER);

/** The notification's wire payload, for the peer (same size as Herald's). */
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

interface Side {
  openMs: number;
  memory: { perSubscriberKiB: number } & Record<string, unknown>;
  broadcasts: Record<string, RoundsSummary>;
  notes: string[];
}

await ensureFileLimit(TOTAL + PER_USER);
const started = performance.now();

// -- the peer first: quick, and if it cannot run, the reason is known early.
let peer: Side | { skipped: string };
const nchanStart = await startNchan({
  workers: NCHAN_WORKERS,
  connections: TOTAL + PER_USER + 1000,
});
if (!nchanStart.ok) {
  console.error(`peer skipped: ${nchanStart.reason}`);
  peer = { skipped: nchanStart.reason };
} else {
  try {
    peer = await benchNchan(nchanStart.nchan);
  } finally {
    await nchanStart.nchan.close();
  }
}

const herald = await benchHerald();

const ratio = (key: string) => {
  if ("skipped" in peer) return null;
  const h = herald.broadcasts[key]?.lastMs.p50;
  const n = peer.broadcasts[key]?.lastMs.p50;
  return h && n ? round2(h / n) : null;
};
const ratios = {
  note:
    "Herald ÷ nchan, median over rounds of the time until the last subscriber had the event",
  role1000: ratio("role1000"),
  roles10000: ratio("roles10000"),
  user1000Merged: ratio("user1000Merged"),
  user1000SingleChannel: ratio("user1000SingleChannel"),
};
const heraldPerSub = herald.memory.perSubscriberKiB;
await report("fanout", {
  machine: { cores: navigator.hardwareConcurrency, deno: Deno.version.deno },
  shape: {
    users: USERS,
    streamsPerUser: PER_USER,
    broadcastSubscribers: TOTAL,
    singleChannelSubscribers: PER_USER,
    rounds: ROUNDS,
    nchanWorkers: NCHAN_WORKERS,
  },
  herald,
  nchan: peer,
  ratios,
  targets: {
    "one broadcast to 10,000 within 1.5× nchan": ratios.roles10000 === null
      ? { met: null, why: "no peer figure" }
      : { met: ratios.roles10000 <= 1.5, ratio: ratios.roles10000 },
    "≤ 8 KB per idle subscriber (merged broadcast subscriber)": {
      met: heraldPerSub <= 8,
      kiBPerSubscriber: heraldPerSub,
    },
  },
  wallSeconds: Math.round((performance.now() - started) / 1000),
});

async function benchNchan(nchan: Nchan): Promise<Side> {
  const hostname = "127.0.0.1";
  const pids = nchan.pids();
  const before = memoryOfAll(pids);
  const clientBefore = memoryOf(Deno.pid);
  const specs: SubscriberSpec[] = [];
  for (let k = 0; k < USERS; k++) {
    for (let i = 0; i < PER_USER; i++) {
      specs.push({ path: `/sub?c=u${k},r${k}` });
    }
  }
  const t = performance.now();
  const fleet = await SseFleet.open(specs, {
    hostname,
    port: nchan.port,
    readyMarker: ": hi",
    concurrency: OPEN_CONCURRENCY,
  });
  try {
    const openMs = performance.now() - t;
    await waitFor(async () => {
      for (const r of roles) {
        if (await nchan.subscribers(r) !== PER_USER) return false;
      }
      return true;
    }, "nchan counting every subscriber");
    await settle();
    const after = memoryOfAll(nchan.pids());
    const clientAfter = memoryOf(Deno.pid);
    await fleet.add(
      Array.from({ length: PER_USER }, () => ({ path: "/sub?c=p" })),
      {
        hostname,
        port: nchan.port,
        readyMarker: ": hi",
        concurrency: OPEN_CONCURRENCY,
      },
    );
    await waitFor(
      async () => await nchan.subscribers("p") === PER_USER,
      "nchan counting the single-channel subscribers",
    );
    const workers = nchan.workerPids();
    const cpu = () => workers.reduce((s, p) => s + cpuMs(p), 0);
    const fire = (channels: string[]) =>
    async (
      marker: string,
      begin: (t0: number) => void,
    ) => {
      const body = payload(marker);
      const t0 = performance.now();
      begin(t0);
      const res = await nchan.publish(channels, body);
      const responseMs = performance.now() - t0;
      if (!res.ok) throw new Error(`nchan publish ${res.status}`);
      await res.body?.cancel();
      return { responseMs };
    };
    const broadcasts = await scenarios(fleet, {
      role1000: fire(["r0"]),
      roles10000: fire(roles),
      user1000Merged: fire(["u0"]),
      user1000SingleChannel: fire(["p"]),
    }, cpu);
    return {
      openMs: round2(openMs),
      memory: memoryFigures(before.rssKiB, after.rssKiB, TOTAL, {
        processes: pids.length,
        before,
        after,
        clientRssDeltaKiB: clientAfter.rssKiB - clientBefore.rssKiB,
      }),
      broadcasts,
      notes: [
        `nginx ${nchan.version} + nchan, worker_processes ${nchan.workers}`,
        "memory: nginx master + workers VmRSS; nchan keeps channels and messages in shared memory (RssShmem)",
        `streams the server closed during the run: ${fleet.closedUnexpectedly}`,
      ],
    };
  } finally {
    fleet.close();
  }
}

async function benchHerald(): Promise<Side> {
  const stack = await startTestStack();
  let fleet: SseFleet | null = null;
  try {
    const hostname = "127.0.0.1";
    const port = Number(new URL(stack.url).port);
    const pid = workerdPid();
    const baseline = memoryOf(pid);
    const clientBefore = memoryOf(Deno.pid);
    // RSS after each user's 1,000: the slope leaves out one-off growth
    // (code compiled, pools filled) that a single before/after would count.
    const points: { n: number; rssKiB: number }[] = [{
      n: 0,
      rssKiB: baseline.rssKiB,
    }];
    const t = performance.now();
    for (let k = 0; k < USERS; k++) {
      const specs = await streamSpecs(stack, `u${k}`, [`r${k}`], PER_USER);
      const open = { hostname, port, readyMarker: "event: connected" };
      if (fleet) {
        await fleet.add(specs, { ...open, concurrency: OPEN_CONCURRENCY });
      } else {
        fleet = await SseFleet.open(specs, {
          ...open,
          concurrency: OPEN_CONCURRENCY,
        });
      }
      points.push({ n: fleet.size, rssKiB: memoryOf(pid).rssKiB });
    }
    if (!fleet) throw new Error("no subscribers");
    const openMs = performance.now() - t;
    await settle();
    const after = memoryOf(pid);
    points.push({ n: TOTAL, rssKiB: after.rssKiB });
    const clientAfter = memoryOf(Deno.pid);
    const live = await liveSubscribers(stack);

    const capProbe = await probeCap(stack, "r0");

    const beforeSingle = memoryOf(pid).rssKiB;
    await fleet.add(await streamSpecs(stack, "p", [], PER_USER), {
      hostname,
      port,
      readyMarker: "event: connected",
      concurrency: OPEN_CONCURRENCY,
    });
    await settle();
    const afterSingle = memoryOf(pid).rssKiB;

    const fire = (target: Record<string, unknown>) =>
    (
      marker: string,
      begin: (t0: number) => void,
    ) =>
      postNotification(stack, {
        ...target,
        type: "bench.fanout",
        title: marker,
        body: "",
        severity: "medium",
      }, begin);
    const broadcasts = await scenarios(fleet, {
      role1000: fire({ roles: ["r0"] }),
      roles10000: fire({ roles }),
      user1000Merged: fire({ userId: "u0" }),
      user1000SingleChannel: fire({ userId: "p" }),
    }, () => cpuMs(pid));

    return {
      openMs: round2(openMs),
      memory: {
        ...memoryFigures(baseline.rssKiB, after.rssKiB, TOTAL, {
          what: "merged broadcast subscribers (user channel + role channel)",
          slopeKiBPerSubscriber: round2(slope(points)),
          points,
          before: baseline,
          after,
          clientRssDeltaKiB: clientAfter.rssKiB - clientBefore.rssKiB,
          note:
            "client = this Deno process: the subscribers' sockets and buffers, plus the stand-ins (libSQL, QStash, Redis proxy) serving the opens",
        }),
        singleChannel: {
          what:
            "1,000 more idle streams of one user without roles (pass-through)",
          perSubscriberKiB: round2((afterSingle - beforeSingle) / PER_USER),
        },
      },
      broadcasts,
      notes: [
        `channel subscriptions the realtime directory counts with ${TOTAL} merged streams open (each is on 2 channels): ${live}`,
        `one more subscriber on full role channel r0: HTTP ${capProbe}`,
        `streams the server closed during the run: ${fleet.closedUnexpectedly}`,
      ],
    };
  } finally {
    fleet?.close();
    await stack.close();
  }
}

type Fire = (
  marker: string,
  begin: (t0: number) => void,
) => Promise<{ responseMs: number }>;

async function scenarios(
  fleet: SseFleet,
  fires: Record<
    "role1000" | "roles10000" | "user1000Merged" | "user1000SingleChannel",
    Fire
  >,
  serverCpu: () => number,
) {
  const members = {
    role1000: usersIndices(0),
    roles10000: range(0, TOTAL),
    user1000Merged: usersIndices(0),
    user1000SingleChannel: passThroughIndices,
  };
  const keys = [
    "role1000",
    "roles10000",
    "user1000Merged",
    "user1000SingleChannel",
  ] as const;
  // Interleaved (one round of each case in turn, WARMUP passes unrecorded),
  // so whatever drifts over the run — the server's heap, its GC, the
  // heartbeat bursts every 15 s — falls on every case alike.
  const results: Record<string, RoundsResult> = {};
  for (let pass = 0; pass < WARMUP + ROUNDS; pass++) {
    for (const key of keys) {
      const result = await runRounds({
        fleet,
        members: members[key],
        fire: fires[key],
        rounds: 1,
        quietMs: 150,
        serverCpuMs: serverCpu,
        probes: {
          serverCpuMs: serverCpu,
          clientCpuMs: () => cpuMs(Deno.pid),
        },
        label: key,
      });
      if (pass < WARMUP) continue;
      const into = results[key] ??= { rounds: [], deliveries: [] };
      into.rounds.push(...result.rounds);
      into.deliveries.push(...result.deliveries);
    }
  }
  const out: Record<string, RoundsSummary> = {};
  for (const key of keys) {
    const result = results[key];
    if (!result) continue;
    const summary = summarizeRounds(result);
    out[key] = summary;
    console.error(
      `${key}: last subscriber p50 ${summary.lastMs.p50} ms, CPU/round ${
        JSON.stringify(summary.perRound)
      }`,
    );
  }
  return out;
}

/** Status of one more subscriber on a full role channel (expect 429). */
async function probeCap(stack: TestStack, role: string): Promise<number> {
  const token = await stack.userToken("cap-probe", [role]);
  const res = await fetch(`${stack.url}/v1/stream`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await res.body?.cancel();
  return res.status;
}

function memoryFigures(
  beforeKiB: number,
  afterKiB: number,
  n: number,
  extra: Record<string, unknown>,
) {
  return {
    perSubscriberKiB: round2((afterKiB - beforeKiB) / n),
    rssBeforeKiB: beforeKiB,
    rssAfterKiB: afterKiB,
    subscribers: n,
    ...extra,
  };
}

/** Least-squares slope of RSS over subscribers, KiB per subscriber. */
function slope(points: readonly { n: number; rssKiB: number }[]): number {
  const use = points.slice(1); // from the first 1,000 on: past start-up
  const mx = use.reduce((s, p) => s + p.n, 0) / use.length;
  const my = use.reduce((s, p) => s + p.rssKiB, 0) / use.length;
  let num = 0;
  let den = 0;
  for (const p of use) {
    num += (p.n - mx) * (p.rssKiB - my);
    den += (p.n - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

function settle(ms = 2_000) {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

async function waitFor(check: () => Promise<boolean>, what: string) {
  if (!await waitUntil(check, 15_000)) throw new Error(`Timed out: ${what}`);
}
