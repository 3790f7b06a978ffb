import { startRemoteStack } from "./support/remote_stack.ts";
import { report, summarize, timed } from "./stats.ts";

/**
 * Digest join: `POST /v1/notifications` that joins an open digest (the
 * item updated in place, its count recounted and sent live) against one
 * that creates a plain notification — the floor — interleaved in the same
 * run, sequentially. Goal (issue 24): join p99 ≤ 1.3× create p99. Needs
 * `deno task build`. Env: BENCH_REQUESTS (500 each).
 */
const REQUESTS = Number(Deno.env.get("BENCH_REQUESTS") ?? 500);
const WARMUP = 50;
const GOAL = 1.3;

const stack = await startRemoteStack();
try {
  const made = await stack.admin("/v1/types", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      id: "benchComments",
      label: "Comments",
      enabled: false,
      times: ["09:00"],
      template: { title: "{{digest.count}} new comments" },
      digest: { window: "24h", max: 1000 },
    }),
  });
  if (made.status !== 201) throw new Error(`type: ${made.status}`);
  await made.body?.cancel();
  const post = async (body: Record<string, unknown>, expect: number[]) => {
    const ms = await timed(async () => {
      const res = await stack.admin("/v1/notifications", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      if (!expect.includes(res.status)) {
        throw new Error(`POST ${res.status}: ${await res.text()}`);
      }
      await res.body?.cancel();
    });
    return ms;
  };
  const join: number[] = [];
  const create: number[] = [];
  // Each digest user gets under `max` posts, so every timed post joins.
  const digestUser = (i: number) => `dj-${Math.floor(i / 900)}`;
  for (let i = 0; i < WARMUP + REQUESTS; i++) {
    const joined = await post({
      userId: digestUser(i),
      type: "benchComments",
      title: `c${i}`,
      digestKey: "post:1",
    }, [200, 201]);
    const plain = await post({
      userId: `pl-${i % 1000}`,
      type: "benchComments",
      title: `c${i}`,
    }, [201]);
    if (i >= WARMUP && i % 900 !== 0) {
      join.push(joined);
      create.push(plain);
    }
  }
  const joinMs = summarize(join);
  const createMs = summarize(create);
  const ratio = Math.round(joinMs.p99 / createMs.p99 * 100) / 100;
  await report("digest_join", {
    joinMs,
    createMs,
    p99Ratio: ratio,
    goal: GOAL,
    met: ratio <= GOAL,
  });
} finally {
  await stack.close();
}
