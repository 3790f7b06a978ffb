import { writeResult } from "../tests/support/bodies.ts";
import { startRemoteStack } from "./support/remote_stack.ts";
import { report, summarize, timed } from "./stats.ts";

/**
 * Preference writes through the API, each including its reconcile, on the
 * local stack (workerd + stand-ins, in a process of their own): latency and
 * QStash calls per write for a one-time change, a no-op and a full disable.
 * Needs `deno task build`.
 */
const USERS = Number(Deno.env.get("BENCH_USERS") ?? 50);
const CHANGES_PER_USER = Number(Deno.env.get("BENCH_CHANGES") ?? 20);

// The stack runs in its own process (in-memory stand-ins): this process is
// only the client, measuring each write from outside as an app would.
const stack = await startRemoteStack();
const write = async (method: string, userId: string, body: unknown) => {
  const res = await stack.admin(`/v1/users/${userId}/preferences`, {
    method,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) {
    throw new Error(`${method} ${res.status}: ${await res.text()}`);
  }
  const result = writeResult.parse(await res.json());
  if (result.reconcile.status !== "synced") {
    throw new Error("reconcile pending");
  }
};

const initial = {
  enabled: true,
  timezone: "Europe/Paris",
  types: {
    morningDigest: {
      enabled: true,
      times: ["09:30"],
      days: ["mon", "tue", "wed", "thu", "fri"],
    },
    taskReminder: { enabled: true, times: ["14:00", "17:30"] },
    eveningSummary: { enabled: true, times: ["20:00"] },
  },
};

async function measure(
  label: string,
  bodies: (user: string, round: number) => unknown,
  rounds: number,
  method = "PATCH",
) {
  const latencies: number[] = [];
  const before = await stack.qstashCalls();
  for (let round = 0; round < rounds; round++) {
    for (let u = 0; u < USERS; u++) {
      const user = `bench-${u}`;
      latencies.push(
        await timed(() => write(method, user, bodies(user, round))),
      );
    }
  }
  const calls = (await stack.qstashCalls()) - before;
  return {
    label,
    writes: latencies.length,
    latencyMs: summarize(latencies),
    qstashCallsPerWrite: calls / latencies.length,
  };
}

try {
  const create = await measure(
    "create (PUT, 4 schedules)",
    () => initial,
    1,
    "PUT",
  );
  // Warm-up happened above; every round moves one time by a minute.
  const oneChange = await measure("one time changed", (_u, round) => ({
    types: {
      taskReminder: {
        times: ["14:00", `18:${String(round).padStart(2, "0")}`],
      },
    },
  }), CHANGES_PER_USER);
  const noop = await measure(
    "no-op",
    () => ({ timezone: "Europe/Paris" }),
    CHANGES_PER_USER,
  );
  const disable = await measure("full disable", () => ({ enabled: false }), 1);
  await report("reconcile", { users: USERS, create, oneChange, noop, disable });
} finally {
  await stack.close();
}
