import { z } from "zod";
import {
  DEV_QSTASH_CURRENT_SIGNING_KEY,
  signDelivery,
} from "@herald/standin-qstash";
import { fireSchedule, qstashClient } from "../tests/support/qstash.ts";
import { startTestStack, type TestStack } from "../tests/support/test_stack.ts";
import {
  ensureFileLimit,
  postNotification,
  streamSpecs,
  workerdPid,
} from "./support/herald.ts";
import { startNchan } from "./support/nchan.ts";
import { cpuMs } from "./support/processes.ts";
import {
  round2,
  type RoundsSummary,
  runRounds,
  summarizeRounds,
} from "./support/rounds.ts";
import { SseFleet } from "./support/sse_fleet.ts";
import { report } from "./stats.ts";

/**
 * End-to-end latency, request → SSE event at every subscriber, with 1, 100
 * and 1,000 open streams of ONE user (a user's channel holds at most 1,000;
 * a stream with no role claims is that channel's body passed through). On
 * the local stack: the bundled Worker in workerd via Miniflare, libSQL,
 * QStash and Redis stand-ins, all on loopback.
 *
 * Three paths, each over many rounds; a round's figure is, per subscriber,
 * (event seen in its socket) − (request start), so a round with 1,000
 * subscribers gives 1,000 deliveries. p50/p99 over all deliveries of all
 * rounds, and over rounds of the LAST subscriber's time:
 * - api: `POST /v1/notifications {userId,type,title,body,severity}` with the
 *   admin key (title = the round's marker);
 * - callback: the signed QStash delivery of a fired schedule
 *   (`{kind:"user-schedule",userId,type,localTime}`, signed as the QStash
 *   dev server signs) posted straight to `/v1/qstash/callback` — Herald's
 *   own path: signature, preferences, exactly-once key, template, inbox,
 *   channel. Each round is a distinct occurrence (type × local time; the
 *   user's preferences list 4 × 24 of them), the marker is the occurrence's
 *   `"localTime":"HH:MM"` in the event's data;
 * - fired: the same schedule fired through the QStash dev server
 *   (`/v2/dev/schedules/:id/fire`), so the stand-in's own hop is included.
 * Between rounds the bench waits until the streams are quiet and workerd
 * is idle (the unread count that follows each notification has gone out).
 *
 * Peer, in the same run, after Herald (never at once: 2 cores): nginx +
 * nchan (worker_processes 1), N subscribers on one channel, `POST /pub`
 * of a payload the size of Herald's event, the same client code and
 * rounds; the ratio Herald ÷ nchan is reported for the API path. Needs
 * nginx with nchan (Debian: `apt-get install -y nginx-light
 * libnginx-mod-nchan`); without it the peer is skipped with the reason.
 * Installs nothing.
 *
 * Target (issue 4): p99 ≤ 20 ms with 1,000 subscribers, API and callback.
 * Needs `deno task build` first. Env: BENCH_ROUNDS (25), BENCH_SIZES
 * ("1,100,1000").
 */
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 25);
const WARMUP = 3;
const SIZES = (Deno.env.get("BENCH_SIZES") ?? "1,100,1000").split(",").map(
  Number,
);
const TARGET_P99_MS = 20;
const TYPES = [
  "morningDigest",
  "taskReminder",
  "eveningSummary",
  "weeklyReport",
] as const;
const TIMES_PER_TYPE = 24;

if (2 * (ROUNDS + WARMUP) > TYPES.length * TIMES_PER_TYPE) {
  throw new Error(
    `BENCH_ROUNDS ${ROUNDS}: at most ${
      TYPES.length * TIMES_PER_TYPE / 2 - WARMUP
    } distinct occurrences per path`,
  );
}

/** Every type at distinct local times: type t fires at 0t:00 … 0t:23. */
const occurrences = TYPES.flatMap((type, t) =>
  Array.from({ length: TIMES_PER_TYPE }, (_, m) => ({
    type,
    localTime: `0${t}:${String(m).padStart(2, "0")}`,
  }))
);

const scheduleBody = z.object({
  kind: z.literal("user-schedule"),
  userId: z.string(),
  type: z.string(),
  localTime: z.string(),
});
const deliveryOutcome = z.object({ status: z.string() });

await ensureFileLimit(Math.max(...SIZES));
const started = performance.now();
const stack = await startTestStack();
const results: Record<string, Record<string, RoundsSummary>> = {};
const targets: Record<string, unknown> = {};
try {
  const pid = workerdPid();
  const port = Number(new URL(stack.url).port);
  for (const size of SIZES) {
    const userId = `lat-${size}`;
    await savePreferences(stack, userId);
    const scheduleIds = await schedulesByTime(stack, userId);
    const fleet = await SseFleet.open(
      await streamSpecs(stack, userId, [], size),
      {
        hostname: "127.0.0.1",
        port,
        readyMarker: "event: connected",
        concurrency: 32,
      },
    );
    try {
      const probes = {
        serverCpuMs: () => cpuMs(pid),
        clientCpuMs: () => cpuMs(Deno.pid),
      };
      const common = {
        fleet,
        members: null,
        rounds: ROUNDS,
        warmup: WARMUP,
        quietMs: 100,
        serverCpuMs: probes.serverCpuMs,
        probes,
      };
      const api = await runRounds({
        ...common,
        label: `api${size}`,
        fire: (marker, begin) =>
          postNotification(stack, {
            userId,
            type: "bench.latency",
            title: marker,
            body: "",
            severity: "medium",
          }, begin),
      });
      // Callback and fired rounds take occurrences in turn, each once.
      const pool = [...occurrences];
      const take = () => {
        const next = pool.shift();
        if (!next) throw new Error("Out of occurrences");
        return next;
      };
      const callback = await runRounds({
        ...common,
        label: `callback${size}`,
        markerOf: () => {
          const o = take();
          return {
            marker: `"localTime":"${o.localTime}"`,
            context: o,
          };
        },
        fire: async (_marker, begin, context) => {
          const o = context ?? take();
          const body = JSON.stringify({
            kind: "user-schedule",
            userId,
            type: o.type,
            localTime: o.localTime,
          });
          const url = `${stack.url}/v1/qstash/callback`;
          const signature = await signDelivery({
            signingKey: DEV_QSTASH_CURRENT_SIGNING_KEY,
            url,
            body: new TextEncoder().encode(body),
            nowSeconds: Math.floor(Date.now() / 1000),
          });
          const t0 = performance.now();
          begin(t0);
          const res = await fetch(url, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              "upstash-signature": signature,
              "upstash-message-id": `msg_bench_${crypto.randomUUID()}`,
              "upstash-retried": "0",
            },
            body,
          });
          const responseMs = performance.now() - t0;
          const outcome = deliveryOutcome.parse(await res.json());
          if (res.status !== 200 || outcome.status !== "sent") {
            throw new Error(`callback ${res.status} ${outcome.status}`);
          }
          return { responseMs };
        },
      });
      const fired = await runRounds({
        ...common,
        label: `fired${size}`,
        markerOf: () => {
          const o = take();
          return { marker: `"localTime":"${o.localTime}"`, context: o };
        },
        fire: async (_marker, begin, context) => {
          const o = context ?? take();
          const id = scheduleIds.get(`${o.type} ${o.localTime}`);
          if (!id) throw new Error(`No schedule for ${o.type} ${o.localTime}`);
          const t0 = performance.now();
          begin(t0);
          const { status } = await fireSchedule(stack, id);
          const responseMs = performance.now() - t0;
          if (status !== 200) throw new Error(`fired ${id}: ${status}`);
          return { responseMs };
        },
      });
      const summary: Record<string, RoundsSummary> = {
        api: summarizeRounds(api),
        callback: summarizeRounds(callback),
        fired: summarizeRounds(fired),
      };
      results[`subscribers${size}`] = summary;
      for (const [path, s] of Object.entries(summary)) {
        console.error(
          `${size} subscribers, ${path}: deliveries p50 ${s.deliveriesMs.p50} p99 ${s.deliveriesMs.p99} ms; last p50 ${s.lastMs.p50}`,
        );
      }
      if (size === 1000) {
        for (const path of ["api", "callback"] as const) {
          const p99 = summary[path]!.deliveriesMs.p99;
          targets[`${path} → SSE p99 ≤ ${TARGET_P99_MS} ms with 1,000`] = {
            met: p99 <= TARGET_P99_MS,
            p99Ms: p99,
          };
        }
      }
    } finally {
      fleet.close();
    }
  }
} finally {
  await stack.close();
}

// -- the peer: nchan, same sizes, same client, one channel per size.
const peer: Record<string, RoundsSummary> = {};
let peerSkipped: string | null = null;
const nchanStart = await startNchan({
  workers: 1,
  connections: Math.max(...SIZES) + 1000,
});
if (!nchanStart.ok) {
  peerSkipped = nchanStart.reason;
  console.error(`peer skipped: ${peerSkipped}`);
} else {
  const { nchan } = nchanStart;
  try {
    const workers = nchan.workerPids();
    for (const size of SIZES) {
      const channel = `lat${size}`;
      const fleet = await SseFleet.open(
        Array.from({ length: size }, () => ({ path: `/sub?c=${channel}` })),
        {
          hostname: "127.0.0.1",
          port: nchan.port,
          readyMarker: ": hi",
          concurrency: 32,
        },
      );
      try {
        while (await nchan.subscribers(channel) !== size) {
          await new Promise((r) => setTimeout(r, 50));
        }
        const result = await runRounds({
          fleet,
          members: null,
          rounds: ROUNDS,
          warmup: WARMUP,
          quietMs: 100,
          serverCpuMs: () => workers.reduce((t, p) => t + cpuMs(p), 0),
          probes: {
            serverCpuMs: () => workers.reduce((t, p) => t + cpuMs(p), 0),
            clientCpuMs: () => cpuMs(Deno.pid),
          },
          label: `nchan${size}`,
          fire: async (marker, begin) => {
            const body = JSON.stringify({
              id: `ntf_${Date.now().toString(36)}${"0".repeat(16)}`,
              type: "bench.latency",
              title: marker,
              body: "",
              severity: "medium",
              data: null,
              createdAt: new Date().toISOString(),
              readAt: null,
            });
            const t0 = performance.now();
            begin(t0);
            const res = await nchan.publish([channel], body);
            const responseMs = performance.now() - t0;
            if (!res.ok) throw new Error(`nchan publish ${res.status}`);
            await res.body?.cancel();
            return { responseMs };
          },
        });
        peer[`subscribers${size}`] = summarizeRounds(result);
        console.error(
          `${size} subscribers, nchan: deliveries p50 ${
            peer[`subscribers${size}`]!.deliveriesMs.p50
          } p99 ${peer[`subscribers${size}`]!.deliveriesMs.p99} ms`,
        );
      } finally {
        fleet.close();
      }
    }
  } finally {
    await nchan.close();
  }
}

const ratios: Record<string, unknown> = {};
for (const size of SIZES) {
  const h = results[`subscribers${size}`]?.api;
  const n = peer[`subscribers${size}`];
  if (h && n) {
    ratios[`subscribers${size}`] = {
      p50: round2(h.deliveriesMs.p50 / n.deliveriesMs.p50),
      p99: round2(h.deliveriesMs.p99 / n.deliveriesMs.p99),
    };
  }
}

await report("latency", {
  machine: { cores: navigator.hardwareConcurrency, deno: Deno.version.deno },
  rounds: ROUNDS,
  note:
    "deliveriesMs: every subscriber of every round, request start → event in its socket; lastMs: per round, the slowest subscriber; perRound: CPU ms (workerd, and this process: client + stand-ins) from request start to the last arrival",
  herald: results,
  nchan: peerSkipped === null
    ? {
      what:
        "nginx + nchan, worker_processes 1, one channel, POST /pub → every subscriber",
      ...peer,
    }
    : { skipped: peerSkipped },
  ratios: {
    note: "Herald API path ÷ nchan publish, deliveries p50 and p99",
    ...ratios,
  },
  targets,
  wallSeconds: round2((performance.now() - started) / 1000),
});

async function savePreferences(stack: TestStack, userId: string) {
  const types = Object.fromEntries(TYPES.map((type) => [type, {
    enabled: true,
    times: occurrences.filter((o) => o.type === type).map((o) => o.localTime),
    days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
  }]));
  const res = await stack.admin(`/v1/users/${userId}/preferences`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ enabled: true, timezone: "UTC", types }),
  });
  const body = z.object({ reconcile: z.object({ status: z.string() }) })
    .parse(await res.json());
  if (res.status !== 200 || body.reconcile.status !== "synced") {
    throw new Error(`preferences ${res.status} ${body.reconcile.status}`);
  }
}

/** The user's QStash schedules by "type HH:MM", from their bodies. */
async function schedulesByTime(
  stack: TestStack,
  userId: string,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const s of await qstashClient(stack).schedules.list()) {
    const parsed = scheduleBody.safeParse(parseJson(s.body ?? ""));
    if (parsed.success && parsed.data.userId === userId) {
      out.set(`${parsed.data.type} ${parsed.data.localTime}`, s.scheduleId);
    }
  }
  if (out.size !== occurrences.length) {
    throw new Error(
      `Expected ${occurrences.length} schedules, found ${out.size}`,
    );
  }
  return out;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
