import { Client, type Schedule } from "@upstash/qstash";
import { z } from "zod";
import { scheduleOwner } from "../../src/domain/schedules/schedule_plan.ts";
import { DEV_QSTASH_TOKEN } from "@herald/standin-qstash";
import { eventually } from "@herald/testing";
import type { TestStack } from "./test_stack.ts";

/** The official client, pointed at the stack's QStash dev server. */
export function qstashClient(
  stack: { standIns: { qstashUrl: string } },
): Client {
  return new Client({
    baseUrl: stack.standIns.qstashUrl,
    token: DEV_QSTASH_TOKEN,
    devMode: false,
    enableTelemetry: false,
    retry: false,
  });
}

/** Schedules QStash holds for one user (Herald's id scheme), by id. */
export async function schedulesOf(
  client: Client,
  userId: string,
): Promise<Map<string, Schedule>> {
  const all = await client.schedules.list();
  return new Map(
    all.filter((s) => scheduleOwner(s.scheduleId)?.userId === userId)
      .map((s) => [s.scheduleId, s]),
  );
}

/** How many API calls the QStash dev server has answered (dev route). */
export async function qstashCalls(stack: TestStack): Promise<number> {
  const res = await fetch(`${stack.standIns.qstashUrl}/v2/dev/stats`, {
    headers: { authorization: `Bearer ${DEV_QSTASH_TOKEN}` },
  });
  const body = await res.json() as { requests: number };
  return body.requests;
}

/** Fires a schedule now through the dev server; returns the delivery status. */
export async function fireSchedule(
  stack: { standIns: { qstashUrl: string } },
  scheduleId: string,
): Promise<{ messageId: string; status: number }> {
  const res = await fetch(
    `${stack.standIns.qstashUrl}/v2/dev/schedules/${scheduleId}/fire`,
    {
      method: "POST",
      headers: { authorization: `Bearer ${DEV_QSTASH_TOKEN}` },
    },
  );
  if (!res.ok) {
    throw new Error(`fire ${scheduleId}: ${res.status} ${await res.text()}`);
  }
  return await res.json();
}

/**
 * Sets the QStash dev server's virtual clock — Herald's too, in the test
 * stack — replaying whatever falls due on the way.
 */
export async function setClock(
  stack: { standIns: { qstashUrl: string } },
  at: number,
): Promise<void> {
  const res = await fetch(`${stack.standIns.qstashUrl}/v2/dev/clock`, {
    method: "POST",
    headers: { authorization: `Bearer ${DEV_QSTASH_TOKEN}` },
    body: JSON.stringify({ set: at }),
  });
  if (!res.ok) throw new Error(`set clock: ${res.status} ${await res.text()}`);
  await res.body?.cancel();
}

/**
 * Moves the QStash dev server's virtual clock — Herald's clock too, in the
 * test stack — forward, replaying whatever falls due on the way.
 */
export async function advanceClock(
  stack: { standIns: { qstashUrl: string } },
  ms: number,
): Promise<void> {
  const res = await fetch(`${stack.standIns.qstashUrl}/v2/dev/clock`, {
    method: "POST",
    headers: { authorization: `Bearer ${DEV_QSTASH_TOKEN}` },
    body: JSON.stringify({ advance: ms }),
  });
  if (!res.ok) throw new Error(`advance: ${res.status} ${await res.text()}`);
  await res.body?.cancel();
}

/**
 * The dev server's call counts, in total and by route shape, and how many
 * messages it has yet to deliver.
 */
export async function qstashStats(
  stack: TestStack,
): Promise<
  { requests: number; byRoute: Record<string, number>; pending: number }
> {
  const res = await fetch(`${stack.standIns.qstashUrl}/v2/dev/stats`, {
    headers: { authorization: `Bearer ${DEV_QSTASH_TOKEN}` },
  });
  return z.object({
    requests: z.number(),
    byRoute: z.record(z.string(), z.number()),
    pending: z.number(),
  }).parse(await res.json());
}

/**
 * Resolves once QStash has nothing left to deliver: every message sent so
 * far has landed (or run out of retries).
 */
export async function qstashDrained(stack: TestStack): Promise<void> {
  await eventually(
    "QStash to deliver everything",
    async () => (await qstashStats(stack)).pending === 0 ? true : null,
  );
}

/** What changed between two stats snapshots, by route. */
export function callsBetween(
  before: { byRoute: Record<string, number> },
  after: { byRoute: Record<string, number> },
): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [route, n] of Object.entries(after.byRoute)) {
    const d = n - (before.byRoute[route] ?? 0);
    if (d) delta[route] = d;
  }
  return delta;
}
