import { createClient } from "@libsql/client/web";
import { Client } from "@upstash/qstash";
import { sign } from "hono/jwt";
import { z } from "zod";
import { DEV_QSTASH_TOKEN } from "@herald/standin-qstash";
import { fileURLToPath } from "node:url";
import { startChild } from "./support/child_process.ts";
import { ensureFileLimit } from "./support/file_limit.ts";
import { cpuMs } from "./support/processes.ts";
import { type RemoteWorker, startRemoteStack } from "./support/remote_stack.ts";
import { seedPushSubscriptions, seedSlotMembers } from "./support/slot_seed.ts";
import { SseFleet } from "./support/sse_fleet.ts";
import { report, summarize } from "./stats.ts";

/**
 * A slot of 10,000 members fires (BENCH_MEMBERS), 1,000 of them live on SSE
 * (BENCH_LIVE) and the rest offline; every member has one push
 * subscription on the push stand-in and `taskReminder` pushes `offline`.
 * Measured: the time until the stand-in has accepted every push (one per
 * offline member; the live ones get none), pushes a second, and the QStash
 * delivery attempts spent — against the floor, the same firing (its own
 * 10,000 members, live ones and subscriptions) on a second Worker with push
 * off (no VAPID keys), until every page is delivered and every live member
 * has the event. Rounds alternate floor and push (BENCH_ROUNDS, 3), each a
 * day of the dev clock later. Goal (issue 21): ≤ 2× the floor's time.
 *
 * The firing is the slot's own message published through QStash at the
 * slot's minute (not a schedule: the dev clock's advance would deliver
 * everything one message at a time, where QStash delivers in parallel);
 * from there QStash's real-time loop delivers the pages and the pushes as
 * they are published, as in production. Setup writes preferences, members
 * and subscriptions straight into libSQL (support/slot_seed.ts). The
 * stand-ins (QStash, libSQL, Redis) share one process, the push stand-in
 * has one of its own, each Worker its own workerd; CPU per round comes
 * from /proc. Needs `deno task build`.
 */
const MEMBERS = Number(Deno.env.get("BENCH_MEMBERS") ?? 10_000);
const LIVE = Math.min(MEMBERS, Number(Deno.env.get("BENCH_LIVE") ?? 1_000));
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 3);
const OFFLINE = MEMBERS - LIVE;
const GOAL = 2;
const DAY = 86_400_000;
const TIMEOUT_MS = 600_000;

await ensureFileLimit(LIVE * 4 + 1_000);
// The push stand-in in a process of its own: its CPU (the receiving end's
// checks and decryption) is then a figure of its own.
const pushStandIn = await startChild(
  fileURLToPath(
    new URL("./support/push_standin_process.ts", import.meta.url),
  ),
  [],
  z.object({ url: z.string() }),
);
const pushUrl = pushStandIn.info.url;
const stack = await startRemoteStack({ PUSH_DEV_ORIGIN: pushUrl });
const off = await stack.startWorker({
  PUSH_DEV_ORIGIN: pushUrl,
  VAPID_PUBLIC_KEY: "",
  VAPID_PRIVATE_KEY: "",
  VAPID_SUBJECT: "",
});
const db = createClient({ url: stack.libsqlUrl });
const qstash = new Client({
  baseUrl: stack.qstashUrl,
  token: DEV_QSTASH_TOKEN,
  retry: false,
});
const dev = (path: string, init: RequestInit = {}) =>
  fetch(`${stack.qstashUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${DEV_QSTASH_TOKEN}` },
  });
const qstashStats = async () =>
  z.object({ pending: z.number(), attempts: z.number() })
    .parse(await (await dev("/v2/dev/stats")).json());
const pushAccepted = async () =>
  z.object({ accepted: z.number() })
    .parse(await (await fetch(`${pushUrl}/dev/stats`)).json()).accepted;

interface Side {
  name: "floor" | "push";
  worker: Pick<RemoteWorker, "url" | "jwtSecret" | "workerdPid">;
  /** The slot's UTC minute, "HHMM", and its members' local time. */
  slot: string;
  localTime: string;
  userId: (i: number) => string;
  fleet?: SseFleet;
}

const sides: Side[] = [
  {
    name: "floor",
    worker: off,
    slot: "1100",
    localTime: "11:00",
    userId: (i) => `g-${String(i).padStart(6, "0")}`,
  },
  {
    name: "push",
    worker: { ...stack, workerdPid: () => stack.pids().workerd },
    slot: "1000",
    localTime: "10:00",
    userId: (i) => `p-${String(i).padStart(6, "0")}`,
  },
];

/** Seeds a side's members; answers their endpoints, member by member. */
async function seed(side: Side, applicationServerKey: string) {
  const userIds = Array.from({ length: MEMBERS }, (_, i) => side.userId(i));
  await seedSlotMembers(db, {
    userIds,
    localTime: side.localTime,
    slot: side.slot,
  });
  return await seedPushSubscriptions(db, {
    pushUrl,
    applicationServerKey,
    userIds,
  });
}

/**
 * Every offline member of the push side got exactly one push a round, and
 * no live member (nor any floor member) got any.
 */
async function checkRecipients(endpoints: Map<Side["name"], string[]>) {
  const shown = z.object({
    messages: z.array(z.object({ endpoint: z.string() })),
  })
    .parse(await (await fetch(`${pushUrl}/messages`)).json());
  const got = new Map<string, number>();
  for (const m of shown.messages) {
    got.set(m.endpoint, (got.get(m.endpoint) ?? 0) + 1);
  }
  const wrong = [
    ...(endpoints.get("push") ?? []).map((e, i) =>
      (got.get(e) ?? 0) !== (i < LIVE ? 0 : ROUNDS)
    ),
    ...(endpoints.get("floor") ?? []).map((e) => got.has(e)),
  ].filter(Boolean).length;
  if (wrong > 0) throw new Error(`${wrong} devices got the wrong pushes`);
}

/** The first LIVE members, one SSE stream each, on their side's Worker. */
async function openFleet(side: Side): Promise<SseFleet> {
  const { hostname, port } = new URL(side.worker.url);
  const exp = Math.floor(Date.now() / 1000) + 3_600;
  const specs = await Promise.all(
    Array.from({ length: LIVE }, async (_, i) => ({
      path: "/v1/stream",
      headers: {
        authorization: `Bearer ${await sign(
          { sub: side.userId(i), exp },
          side.worker.jwtSecret,
          "HS256",
        )}`,
      },
    })),
  );
  return await SseFleet.open(specs, {
    hostname,
    port: Number(port),
    readyMarker: "event: connected",
    concurrency: 50,
    timeoutMs: 300_000,
  });
}

/** Polls (20 ms apart) until `done` holds; answers when it first did. */
async function until(what: string, done: () => Promise<boolean>) {
  const deadline = performance.now() + TIMEOUT_MS;
  while (!(await done())) {
    if (performance.now() > deadline) throw new Error(`Timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return performance.now();
}

interface Round {
  ms: number;
  written: number;
  liveReceived: number;
  liveMs: number;
  pushes: number;
  qstashAttempts: number;
  cpuMs: { workerd: number; standIns: number; pushStandIn: number };
}

async function fire(side: Side, at: number): Promise<Round> {
  const set = await dev("/v2/dev/clock", {
    method: "POST",
    body: JSON.stringify({ set: at }),
  });
  if (!set.ok) throw new Error(`clock: ${set.status}`);
  await set.body?.cancel();
  const before = await qstashStats();
  const pushedBefore = await pushAccepted();
  const cpu0 = {
    workerd: cpuMs(side.worker.workerdPid()),
    standIns: cpuMs(stack.pids().standIns),
    pushStandIn: cpuMs(pushStandIn.pid),
  };
  const live = side.fleet!.expect("event: notification", null, TIMEOUT_MS);
  const t0 = performance.now();
  await qstash.publish({
    url: `${side.worker.url}/v1/qstash/callback`,
    body: JSON.stringify({ kind: "slot", slot: side.slot }),
    headers: { "Content-Type": "application/json" },
  });
  const pushes = side.name === "push" ? OFFLINE : 0;
  // The floor is done once every page is delivered; the push side once the
  // stand-in has accepted every push (pages hand them to QStash after
  // their answer, so "nothing pending" alone could come too soon).
  const doneAt = await until(
    `${side.name} firing`,
    async () =>
      side.name === "push"
        ? await pushAccepted() - pushedBefore >= pushes
        : (await qstashStats()).pending === 0,
  );
  const arrivals = await live;
  await until(
    "QStash to drain",
    async () => (await qstashStats()).pending === 0,
  );
  const after = await qstashStats();
  const rows = await db.execute({
    sql: `select count(*) as n from notifications
          where type = 'taskReminder' and created_at >= ? and created_at < ?`,
    args: [at, at + 3_600_000],
  });
  return {
    ms: Math.round(Math.max(doneAt, ...arrivals.at) - t0),
    written: Number(rows.rows[0]?.n),
    liveReceived: arrivals.received,
    liveMs: Math.round(Math.max(...arrivals.at) - t0),
    pushes: await pushAccepted() - pushedBefore,
    qstashAttempts: after.attempts - before.attempts,
    cpuMs: {
      workerd: cpuMs(side.worker.workerdPid()) - cpu0.workerd,
      standIns: cpuMs(stack.pids().standIns) - cpu0.standIns,
      pushStandIn: cpuMs(pushStandIn.pid) - cpu0.pushStandIn,
    },
  };
}

try {
  const patched = await stack.admin("/v1/types/taskReminder", {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ channels: { push: "offline" } }),
  });
  if (!patched.ok) throw new Error(`PATCH type: ${patched.status}`);
  await patched.body?.cancel();
  const { publicKey } = z.object({ publicKey: z.string() }).parse(
    await (await fetch(`${stack.url}/v1/push/vapid-key`)).json(),
  );
  const seedStart = performance.now();
  const endpoints = new Map<Side["name"], string[]>();
  for (const side of sides) {
    endpoints.set(side.name, await seed(side, publicKey));
  }
  const seedMs = performance.now() - seedStart;
  console.error(
    `seeded ${2 * MEMBERS} members and subscriptions in ${
      Math.round(seedMs)
    } ms`,
  );
  for (const side of sides) side.fleet = await openFleet(side);

  const { now } = z.object({ now: z.number() }).parse(
    await (await dev("/v2/dev/clock")).json(),
  );
  const firstDay = Math.floor(now / DAY) * DAY + DAY;
  const minuteOf = (slot: string) =>
    (Number(slot.slice(0, 2)) * 60 + Number(slot.slice(2))) * 60_000;
  const rounds: Record<Side["name"], Round[]> = { floor: [], push: [] };
  for (let r = 0; r < ROUNDS; r++) {
    // A day apart: each round is that day's occurrence, never a repeat.
    for (const side of [...sides].sort((a, b) => a.slot < b.slot ? -1 : 1)) {
      const round = await fire(side, firstDay + r * DAY + minuteOf(side.slot));
      rounds[side.name].push(round);
      console.error(`round ${r + 1} ${side.name}: ${JSON.stringify(round)}`);
      if (round.written !== MEMBERS || round.liveReceived !== LIVE) {
        throw new Error(`${side.name}: not every member was reached`);
      }
      if (round.pushes !== (side.name === "push" ? OFFLINE : 0)) {
        throw new Error(`${side.name}: ${round.pushes} pushes`);
      }
    }
  }
  await checkRecipients(endpoints);
  const median = (xs: number[]) => summarize(xs).p50;
  const floorMs = median(rounds.floor.map((r) => r.ms));
  const pushMs = median(rounds.push.map((r) => r.ms));
  const perSide = (name: Side["name"]) => {
    const rs = rounds[name];
    return {
      medianMs: median(rs.map((r) => r.ms)),
      rounds: rs,
      qstashAttempts: median(rs.map((r) => r.qstashAttempts)),
      workerdCpuMs: median(rs.map((r) => r.cpuMs.workerd)),
      standInsCpuMs: median(rs.map((r) => r.cpuMs.standIns)),
      pushStandInCpuMs: median(rs.map((r) => r.cpuMs.pushStandIn)),
    };
  };
  await report("push_slot", {
    members: MEMBERS,
    live: LIVE,
    offlinePushed: OFFLINE,
    recipientsChecked:
      "each offline member one push a round, live and floor members none",
    rounds: ROUNDS,
    seeding: {
      members: 2 * MEMBERS,
      subscriptions: 2 * MEMBERS,
      ms: Math.round(seedMs),
      how: "stand-in /subscribe, 50 at once; libSQL batch inserts",
    },
    floor: perSide("floor"),
    push: perSide("push"),
    pushesPerSecond: Math.round(OFFLINE / (pushMs / 1000)),
    ratio: Math.round(pushMs / floorMs * 100) / 100,
    goal: `≤ ${GOAL}× the push-off firing`,
    loadAverage: Deno.loadavg(),
  });
} finally {
  for (const side of sides) side.fleet?.close();
  db.close();
  await off.close();
  await stack.close();
  await pushStandIn.stop();
}
