import { createClient } from "@libsql/client/web";
import { startRemoteStack } from "./support/remote_stack.ts";
import { report, summarize, timed } from "./stats.ts";

/**
 * What event webhooks add to a read: `POST …/notifications/read-all` of a
 * user's ITEMS unread notifications with 3 endpoints subscribed to
 * `notification.read`, against the same read with the endpoints disabled
 * (the floor: the one libSQL statement that finds no endpoint). Rounds
 * alternate the two so drift hits both. Also counted: QStash API calls and
 * endpoint deliveries per read. Goal (issue 23): p99 ≤ 1.2× the floor's.
 * Needs `deno task build`. Env: BENCH_ROUNDS (100 a side), BENCH_ITEMS (1000).
 */
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 100);
const ITEMS = Number(Deno.env.get("BENCH_ITEMS") ?? 1000);

let received = 0;
const receiver = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen() {} },
  async (req) => {
    await req.body?.cancel();
    received++;
    return new Response(null, { status: 204 });
  },
);
const stack = await startRemoteStack({ WEBHOOK_ALLOW_LOOPBACK: "true" });
const db = createClient({ url: stack.libsqlUrl });
const json = (method: string, body: unknown): RequestInit => ({
  method,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

/**
 * A user's ITEMS unread notifications, written straight into libSQL (the
 * rows `POST /v1/notifications` would write): seeding through the API cost
 * more than the reads, which kept the sample small.
 */
async function seed(userId: string) {
  const now = Date.now();
  const statements = [];
  for (let start = 0; start < ITEMS; start += 250) {
    const n = Math.min(250, ITEMS - start);
    const ids = Array.from(
      { length: n },
      (_, k) => `n_${userId}_${String(start + k).padStart(5, "0")}`,
    );
    statements.push({
      sql: `insert into notifications
              (id, type, title, body, severity, source, created_at)
            values ${
        Array(n).fill("(?, 'bench.read', 't', '', 'medium', 'api', ?)").join(
          ",",
        )
      }`,
      args: ids.flatMap((id, k) => [id, now - ITEMS + start + k]),
    }, {
      sql: `insert into notification_audiences
              (notification_id, audience, created_at)
            values ${Array(n).fill("(?, ?, ?)").join(",")}`,
      args: ids.flatMap((
        id,
        k,
      ) => [id, `user:${userId}`, now - ITEMS + start + k]),
    });
  }
  await db.batch(statements, "write");
}

async function setEnabled(ids: string[], enabled: boolean) {
  for (const id of ids) {
    const res = await stack.admin(
      `/v1/webhooks/${id}`,
      json("PATCH", { enabled }),
    );
    if (!res.ok) throw new Error(`patch: ${res.status}`);
    await res.body?.cancel();
  }
}

async function until(fact: () => boolean) {
  for (let i = 0; i < 2000 && !fact(); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
}

try {
  const load = await Deno.readTextFile("/proc/loadavg");
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await stack.admin(
      "/v1/webhooks",
      json("POST", {
        url: `http://127.0.0.1:${receiver.addr.port}/e${i}`,
        events: ["notification.read"],
      }),
    );
    if (res.status !== 201) throw new Error(`endpoint: ${res.status}`);
    ids.push((await res.json() as { id: string }).id);
  }
  const floor: number[] = [];
  const withEndpoints: number[] = [];
  let qstashCallsWith = 0;
  let deliveredWith = 0;
  for (let round = 0; round < ROUNDS * 2; round++) {
    const subscribed = round % 2 === 1;
    await setEnabled(ids, subscribed);
    const user = `whread-${round}`;
    await seed(user);
    const calls = await stack.qstashCalls();
    const before = received;
    const ms = await timed(async () => {
      const res = await stack.admin(
        `/v1/users/${user}/notifications/read-all`,
        { method: "POST" },
      );
      if (res.status !== 200) throw new Error(`read-all: ${res.status}`);
      const { marked } = await res.json() as { marked: number };
      if (marked !== ITEMS) throw new Error(`read-all marked ${marked}`);
    });
    if (subscribed) {
      await until(() => received - before >= 3);
      withEndpoints.push(ms);
      qstashCallsWith += (await stack.qstashCalls()) - calls;
      deliveredWith += received - before;
    } else floor.push(ms);
  }
  const f = summarize(floor);
  const w = summarize(withEndpoints);
  await report("webhook_read", {
    machine: { cores: navigator.hardwareConcurrency, deno: Deno.version.deno },
    loadAverageAtStart: load.trim(),
    items: ITEMS,
    endpoints: 3,
    floorMs: f,
    withEndpointsMs: w,
    p99Ratio: Math.round(w.p99 / f.p99 * 100) / 100,
    qstashApiCallsPerRead: qstashCallsWith / ROUNDS,
    deliveriesPerRead: deliveredWith / ROUNDS,
    targets: { "p99 ≤ 1.2× floor": w.p99 <= 1.2 * f.p99 },
  });
} finally {
  await stack.close();
  await receiver.shutdown();
}
