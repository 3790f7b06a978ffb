import assert from "node:assert/strict";
import { z } from "zod";
import { DEV_QSTASH_TOKEN } from "@herald/standin-qstash";
import { planUserSchedules } from "../../src/domain/schedules/schedule_plan.ts";
import {
  membershipId,
  planMemberships,
  slotSchedule,
} from "../../src/domain/schedules/slot_plan.ts";
import { preferencesView, read } from "./bodies.ts";
import { qstashClient, schedulesOf } from "./qstash.ts";
import { statusBody } from "./scheduler_bodies.ts";
import type { Placement } from "./suite.ts";
import type { TestStack } from "./test_stack.ts";

/**
 * What the suites that run under both placements ask of a user's schedule,
 * so one case reads the same whichever placement is under test: the user's
 * jobs as the status API lists them, and whether QStash holds exactly what
 * the user's preferences need.
 */
export type UserJob = z.infer<typeof statusBody>["jobs"][number];

/** Herald's clock in the test stack: the QStash dev server's. */
export async function heraldNow(stack: TestStack): Promise<number> {
  const res = await fetch(`${stack.standIns.qstashUrl}/v2/dev/clock`, {
    headers: { authorization: `Bearer ${DEV_QSTASH_TOKEN}` },
  });
  return z.object({ now: z.number() }).parse(await res.json()).now;
}

/** Sets the dev clock (Herald's too); QStash fires what falls due on the way. */
export async function setDevClock(stack: TestStack, at: number): Promise<void> {
  const res = await fetch(`${stack.standIns.qstashUrl}/v2/dev/clock`, {
    method: "POST",
    headers: { authorization: `Bearer ${DEV_QSTASH_TOKEN}` },
    body: JSON.stringify({ set: at }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  await res.body?.cancel();
}

/** One user's jobs, by id, from `GET /v1/scheduler/status?userId=`. */
export async function userJobs(
  stack: TestStack,
  userId: string,
): Promise<Map<string, UserJob>> {
  const res = await stack.admin(
    `/v1/scheduler/status?userId=${encodeURIComponent(userId)}&limit=200`,
  );
  assert.equal(res.status, 200, await res.clone().text());
  const { jobs } = await read(res, statusBody);
  return new Map(jobs.map((job) => [job.id, job]));
}

/**
 * Asserts Herald holds exactly what the user's saved preferences need:
 * per-user, one QStash schedule per type and time with the right cron and
 * body; shared, one member per type and time in the slot of its next
 * occurrence, and QStash holding each of those slots' schedules. Returns
 * the preferences view.
 */
export async function expectScheduled(
  stack: TestStack,
  placement: Placement,
  userId: string,
) {
  const view = await read(
    await stack.admin(`/v1/users/${encodeURIComponent(userId)}/preferences`),
    preferencesView,
  );
  const destination = `${stack.url}/v1/qstash/callback`;
  const qstash = qstashClient(stack);
  const perUser = await schedulesOf(qstash, userId);
  const critical = await criticalTypes(stack);
  if (placement === "per-user") {
    const want = planUserSchedules(userId, view.preferences, {
      destination,
      critical,
    });
    assert.deepEqual([...perUser.keys()].sort(), want.map((s) => s.id));
    for (const s of want) {
      assert.equal(perUser.get(s.id)?.cron, s.cron);
      assert.equal(perUser.get(s.id)?.body, s.body);
    }
    return view;
  }
  assert.equal(perUser.size, 0, "no per-user schedule under slots");
  const want = planMemberships(
    userId,
    view.preferences,
    await heraldNow(stack),
    critical,
  );
  const jobs = await userJobs(stack, userId);
  assert.deepEqual(
    [...jobs.keys()].sort(),
    want.map(membershipId).sort(),
  );
  for (const m of want) {
    assert.equal(jobs.get(membershipId(m))?.slot, m.slot);
    const spec = slotSchedule(m.slot, destination);
    const held = await qstash.schedules.get(spec.id);
    assert.equal(held.cron, spec.cron);
    assert.equal(held.body, spec.body);
  }
  return view;
}

/** The ids of the catalogue's critical types, as `/v1/types` lists them. */
async function criticalTypes(stack: TestStack): Promise<Set<string>> {
  const res = await stack.admin("/v1/types");
  assert.equal(res.status, 200, await res.clone().text());
  const { types } = await read(res, typesBody);
  return new Set(types.filter((t) => t.critical).map((t) => t.id));
}

const typesBody = z.object({
  types: z.array(z.object({ id: z.string(), critical: z.boolean() })),
});

/**
 * Moves the dev clock (Herald's too) to the next run of one of the user's
 * jobs, as the status API gives it, so QStash fires it by its own cron —
 * the user's schedule, or the slot the user is in. Answers with what QStash
 * delivered on the way.
 */
export async function advanceToNextRun(
  stack: TestStack,
  userId: string,
  pick: (job: UserJob) => boolean = () => true,
) {
  const job = [...(await userJobs(stack, userId)).values()].find(pick);
  assert.ok(job?.nextRun, `no next run for ${userId}`);
  const res = await fetch(`${stack.standIns.qstashUrl}/v2/dev/clock`, {
    method: "POST",
    headers: { authorization: `Bearer ${DEV_QSTASH_TOKEN}` },
    body: JSON.stringify({ set: Date.parse(job.nextRun) }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return advanced.parse(await res.json());
}

const advanced = z.object({
  now: z.number(),
  delivered: z.array(z.object({
    messageId: z.string(),
    scheduleId: z.string().optional(),
    status: z.number(),
    retried: z.number(),
    at: z.number(),
    outcome: z.string(),
  })),
});
