import { z } from "zod";
import {
  type Convergence,
  convergence,
} from "../../tests/support/convergence.ts";
import type { DevStack } from "./dev_stack.ts";

/**
 * What the fault benchmarks share: a preference write through Herald's
 * HTTP API (nothing else: the write path behind it may change), its
 * outcome, and "play the cron until every user has converged".
 */
export interface WriteOutcome {
  /** 0 when no answer came. */
  status: number;
  /** The version the answer names (2xx only). */
  version: number | null;
  reconcile: "synced" | "pending" | null;
}

const answer = z.object({
  version: z.number().int(),
  reconcile: z.object({ status: z.enum(["synced", "pending"]) }),
});

export async function writePreferences(
  stack: DevStack,
  method: "PUT" | "PATCH",
  userId: string,
  body: unknown,
): Promise<WriteOutcome> {
  try {
    const res = await stack.admin(`/v1/users/${userId}/preferences`, {
      method,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) return { status: res.status, version: null, reconcile: null };
    const answered = answer.parse(JSON.parse(text));
    return {
      status: res.status,
      version: answered.version,
      reconcile: answered.reconcile.status,
    };
  } catch {
    return { status: 0, version: null, reconcile: null };
  }
}

const view = z.object({
  version: z.number().int(),
  preferences: z.object({
    types: z.record(z.string(), z.object({ times: z.array(z.string()) })),
  }),
  sync: z.object({ status: z.enum(["synced", "pending"]) }),
});

export async function storedView(stack: DevStack, userId: string) {
  const res = await stack.admin(`/v1/users/${userId}/preferences`);
  return view.parse(await res.json());
}

export interface Settled extends Convergence {
  /** Herald time the cron needed (the dev clock moved this far), ms. */
  heraldMs: number;
  /** Cron runs it took. */
  cronRuns: number;
  wallMs: number;
  /** Users still pending when the bench gave up (0 when it settled). */
  pending: number;
}

/**
 * Moves the dev clock `stepMs` at a time and runs the cron trigger after
 * each step, until every user is synced and QStash holds every schedule
 * they want (or `maxHeraldMs` of Herald time has passed).
 */
export async function settle(
  stack: DevStack,
  userIds: readonly string[],
  stepMs: number,
  maxHeraldMs = 3_600_000,
): Promise<Settled> {
  const started = performance.now();
  let heraldMs = 0;
  let cronRuns = 0;
  for (;;) {
    let pending = 0;
    for (const userId of userIds) {
      if ((await storedView(stack, userId)).sync.status !== "synced") pending++;
    }
    const state = pending === 0
      ? await convergence(stack, stack.qstash, userIds)
      : { divergent: [...userIds], orphans: [] };
    const done = pending === 0 && state.divergent.length === 0;
    if (done || heraldMs >= maxHeraldMs) {
      return {
        ...state,
        heraldMs,
        cronRuns,
        wallMs: Math.round(performance.now() - started),
        pending,
      };
    }
    await stack.advanceClock(stepMs);
    heraldMs += stepMs;
    await stack.runCron();
    cronRuns++;
  }
}

/** Statuses by count, e.g. {"200": 990, "503": 10}. */
export function countStatuses(
  outcomes: readonly WriteOutcome[],
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { status } of outcomes) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

/**
 * Users whose stored preferences are not what their answers said: one
 * version per 2xx and none per other answer, and the content of the last
 * 2xx. Each user's writes must have run one after another, each with
 * distinct preferences (`preferencesNo`).
 */
export async function notAsAnswered(
  stack: DevStack,
  writes: ReadonlyMap<string, { outcome: WriteOutcome; times: string[] }[]>,
): Promise<string[]> {
  const wrong: string[] = [];
  for (const [userId, sequence] of writes) {
    const ok = sequence.filter((w) =>
      w.outcome.status >= 200 &&
      w.outcome.status < 300
    );
    const stored = await storedView(stack, userId);
    const last = ok.at(-1);
    const times = stored.preferences.types.taskReminder?.times ?? [];
    const content = last === undefined ||
      JSON.stringify(times) === JSON.stringify(last.times);
    if (stored.version !== ok.length || !content) wrong.push(userId);
  }
  return wrong;
}
