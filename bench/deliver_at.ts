import { z } from "zod";
import { DEMO } from "../tests/support/demo_catalogue.ts";
import { population } from "./support/population.ts";
import { startRemoteStack } from "./support/remote_stack.ts";
import { report, summarize, timed } from "./stats.ts";

/**
 * A `deliverAt` send to 1,000 users over the realistic population's zones
 * (support/population.ts): the request's time and the QStash calls and
 * messages it spends, beside its floor in the same run — the same send to
 * one user (one instant, one message). The figure is the big send's time
 * per message against the floor's time for its one. Needs `deno task build`.
 * Env: BENCH_USERS (1000), BENCH_ROUNDS (5).
 */
const USERS = Number(Deno.env.get("BENCH_USERS") ?? 1000);
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 5);

const scheduled = z.object({
  scheduled: z.object({ instants: z.array(z.unknown()) }),
});

const stack = await startRemoteStack();
try {
  const members = population(USERS, { prefix: "at-" });
  // Each member's zone; every demo type off, so no schedule is made.
  const off = Object.fromEntries(
    DEMO.types.map((t) => [t.id, { enabled: false }]),
  );
  for (let i = 0; i < members.length; i += 20) {
    await Promise.all(
      members.slice(i, i + 20).map(async (m) => {
        const res = await stack.admin(`/v1/users/${m.userId}/preferences`, {
          method: "PUT",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            enabled: true,
            timezone: m.prefs.timezone,
            types: off,
          }),
        });
        if (res.status !== 200) throw new Error(`PUT ${res.status}`);
        await res.body?.cancel();
      }),
    );
  }
  const date = new Date(Date.now() + 3 * 86_400_000).toISOString()
    .slice(0, 10);
  const send = async (userIds: string[]) => {
    let instants = 0;
    const calls = await stack.qstashCalls();
    const ms = await timed(async () => {
      const res = await stack.admin("/v1/notifications", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          userIds,
          type: "bench.deliverAt",
          title: "Good morning",
          deliverAt: `${date}T09:00`,
        }),
      });
      if (res.status !== 202) throw new Error(`POST ${res.status}`);
      instants = scheduled.parse(await res.json()).scheduled.instants.length;
    });
    return { ms, instants, qstashCalls: (await stack.qstashCalls()) - calls };
  };
  const all = members.map((m) => m.userId);
  const big: Awaited<ReturnType<typeof send>>[] = [];
  const one: Awaited<ReturnType<typeof send>>[] = [];
  await send(all);
  for (let r = 0; r < ROUNDS; r++) {
    big.push(await send(all));
    for (let k = 0; k < 4; k++) one.push(await send([all[r] ?? "at-0"]));
  }
  const bigMs = summarize(big.map((b) => b.ms));
  const oneMs = summarize(one.map((o) => o.ms));
  const messages = big[0]?.instants ?? 0;
  await report("deliver_at", {
    users: USERS,
    distinctZonesInstants: messages,
    qstashMessages: messages,
    qstashCallsPerSend: big[0]?.qstashCalls,
    sendMs: bigMs,
    floorOneUserMs: oneMs,
    floorQstashCalls: one[0]?.qstashCalls,
    msPerMessage: Math.round(bigMs.p50 / Math.max(1, messages) * 100) / 100,
    perMessageVsFloor: Math.round(
      bigMs.p50 / Math.max(1, messages) / oneMs.p50 * 100,
    ) / 100,
  });
} finally {
  await stack.close();
}
