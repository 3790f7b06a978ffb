import { z } from "zod";

/**
 * A CPU profile of the Worker's isolate — Miniflare runs the Worker and
 * its Durable Objects in one — through workerd's V8 inspector, summed by
 * function and by source file: where a benchmark's milliseconds go.
 * (workerd echoes a command it merely accepts; only `Profiler.stop`
 * answers with a result.)
 */

const targetList = z.array(z.object({
  id: z.string(),
  webSocketDebuggerUrl: z.string(),
}));
const stopped = z.object({
  result: z.object({
    profile: z.object({
      nodes: z.array(z.object({
        callFrame: z.object({
          functionName: z.string(),
          url: z.string(),
          lineNumber: z.number(),
        }),
        hitCount: z.number().optional(),
      })),
      startTime: z.number(),
      endTime: z.number(),
      samples: z.array(z.number()).optional(),
    }),
  }),
});

export interface ProfileSummary {
  /** Sampled CPU time of the isolate's JavaScript, ms. */
  totalMs: number;
  byFunction: { name: string; ms: number }[];
  byFile: { file: string; ms: number }[];
}

export interface CpuProfiler {
  start(): void;
  stop(): Promise<ProfileSummary>;
  close(): void;
}

/** Connects to the user Worker's isolate on workerd's inspector `port`. */
export async function connectProfiler(port: number): Promise<CpuProfiler> {
  const list = targetList.parse(
    await (await fetch(`http://127.0.0.1:${port}/json`)).json(),
  );
  const target = list.find((t) => t.id === "core:user:");
  if (!target) throw new Error("No user Worker on the inspector");
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve, { once: true });
    ws.addEventListener("error", reject, { once: true });
  });
  let id = 0;
  const send = (method: string, params: unknown = {}) =>
    ws.send(JSON.stringify({ id: ++id, method, params }));
  send("Profiler.enable");
  send("Profiler.setSamplingInterval", { interval: 200 });
  return {
    start: () => send("Profiler.start"),
    stop() {
      const done = new Promise<ProfileSummary>((resolve) => {
        const onMessage = (event: MessageEvent) => {
          const reply = stopped.safeParse(JSON.parse(String(event.data)));
          if (!reply.success) return;
          ws.removeEventListener("message", onMessage);
          resolve(summarize(reply.data.result.profile));
        };
        ws.addEventListener("message", onMessage);
      });
      send("Profiler.stop");
      return done;
    },
    close: () => ws.close(),
  };
}

function summarize(
  profile: z.infer<typeof stopped>["result"]["profile"],
): ProfileSummary {
  const hits = profile.nodes.reduce((n, node) => n + (node.hitCount ?? 0), 0);
  const msPerHit = (profile.endTime - profile.startTime) / 1000 /
    Math.max(1, hits);
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const ms = (node.hitCount ?? 0) * msPerHit;
    const frame = node.callFrame;
    if (ms === 0 || frame.functionName === "(idle)") continue;
    total += ms;
    const file = frame.url.split("/").slice(-2).join("/") || "(native)";
    const name = `${frame.functionName || "(anonymous)"} ${file}:${
      frame.lineNumber + 1
    }`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
    byFile.set(file, (byFile.get(file) ?? 0) + ms);
  }
  const top = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, 30);
  const r = (ms: number) => Math.round(ms * 10) / 10;
  return {
    totalMs: r(total),
    byFunction: top(byFunction).map(([name, ms]) => ({ name, ms: r(ms) })),
    byFile: top(byFile).map(([file, ms]) => ({ file, ms: r(ms) })),
  };
}
