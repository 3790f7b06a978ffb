import { z } from "zod";
import type { TestStack } from "../../tests/support/test_stack.ts";
import { childPids, fileLimit } from "./processes.ts";
import type { SubscriberSpec } from "./sse_fleet.ts";

/** What the benches need from Herald's API, parsed rather than cast. */

const statusBody = z.object({ subscribers: z.number().int() });

/** `GET /v1/stream` for `userId` with these role claims, as raw subscribers. */
export async function streamSpecs(
  stack: TestStack,
  userId: string,
  roles: string[],
  count: number,
): Promise<SubscriberSpec[]> {
  const token = await stack.userToken(userId, roles);
  const spec = {
    path: "/v1/stream",
    headers: { authorization: `Bearer ${token}` },
  };
  return Array.from({ length: count }, () => spec);
}

export interface Sent {
  status: number;
  /** Request start → response headers, ms. */
  responseMs: number;
}

/**
 * `POST /v1/notifications` with the admin key; `started` is called right
 * before the request goes out (the bench's t0).
 */
export async function postNotification(
  stack: TestStack,
  body: Record<string, unknown>,
  started: (t0: number) => void,
): Promise<Sent> {
  const init = {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  };
  const t0 = performance.now();
  started(t0);
  const res = await stack.admin("/v1/notifications", init);
  const responseMs = performance.now() - t0;
  if (res.status !== 201) {
    throw new Error(
      `POST /v1/notifications ${res.status}: ${await res.text()}`,
    );
  }
  await res.body?.cancel();
  return { status: res.status, responseMs };
}

/** Live subscribers the realtime directory counts (all channels). */
export async function liveSubscribers(stack: TestStack): Promise<number> {
  const res = await stack.admin("/v1/realtime/status");
  if (!res.ok) throw new Error(`realtime status ${res.status}`);
  return statusBody.parse(await res.json()).subscribers;
}

/** The workerd process Miniflare spawned for this stack. */
export function workerdPid(): number {
  const [pid, ...more] = childPids(Deno.pid, "workerd");
  if (pid === undefined) throw new Error("No workerd child process found");
  if (more.length > 0) {
    throw new Error(`Several workerd children: ${[pid, ...more].join(", ")}`);
  }
  return pid;
}

/**
 * Makes sure this process may hold `needed` more descriptors (each
 * subscriber is one socket here, and one in the server). The soft limit is
 * raised to the hard one with util-linux `prlimit` when that suffices —
 * children started afterwards (workerd, nginx) inherit it. Raising the hard
 * limit needs CAP_SYS_RESOURCE; without it the bench stops and says so.
 */
export async function ensureFileLimit(needed: number): Promise<number> {
  const want = needed + 1_000;
  if (fileLimit() >= want) return fileLimit();
  const limits = Deno.readTextFileSync("/proc/self/limits");
  const hard = /^Max open files\s+\S+\s+(\d+|unlimited)/m.exec(limits)?.[1];
  const hardLimit = !hard || hard === "unlimited" ? Infinity : Number(hard);
  if (hardLimit >= want) {
    const target = Number.isFinite(hardLimit) ? hardLimit : want;
    await new Deno.Command("prlimit", {
      args: ["--pid", String(Deno.pid), `--nofile=${target}:${hard}`],
    }).output().catch(() => null);
  }
  if (fileLimit() < want) {
    throw new Error(
      `Need ${want} open files, the limit is ${fileLimit()} (hard ${hard}). ` +
        `Run under \`prlimit --nofile=${want * 2}\` or \`ulimit -n ${
          want * 2
        }\` as a user allowed to raise it.`,
    );
  }
  return fileLimit();
}
