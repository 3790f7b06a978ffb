import assert from "node:assert/strict";
import { effectivePreferences } from "../../src/domain/preferences/preference_overrides.ts";
import { scheduleIdFor } from "../../src/domain/schedules/schedule_plan.ts";
import { membershipId } from "../../src/domain/schedules/slot_plan.ts";
import { planUser } from "../../src/services/schedules/user_plan.ts";
import type { Placement } from "../support/suite.ts";
import { startServiceDeps } from "../support/service_deps.ts";

// planUser(): the one place a user's preferences become what the scheduler
// must hold, under either placement.

async function planFor(placement: Placement) {
  const s = await startServiceDeps({ placement });
  try {
    const catalogue = await s.ctx.catalogue();
    const prefs = effectivePreferences({
      timezone: "UTC",
      types: { morningDigest: { times: ["09:30"] } },
    }, catalogue);
    return planUser({
      ctx: s.ctx,
      user: { userId: "ada", prefs },
      catalogue,
      now: s.clock.now,
    });
  } finally {
    await s.close();
  }
}

const digest = { userId: "ada", type: "morningDigest", localTime: "09:30" };

Deno.test("planUser() per user: one schedule per type and time, and no slot member", async () => {
  const plan = await planFor("per-user");
  assert.ok(
    plan.schedules.some((s) =>
      s.id === scheduleIdFor("ada", "morningDigest", "09:30") &&
      s.cron.startsWith("CRON_TZ=UTC 30 9 ")
    ),
    `no 09:30 digest among ${plan.schedules.map((s) => s.id)}`,
  );
  assert.deepEqual(plan.members, []);
});

Deno.test("planUser() in slots: members of the slots their next occurrence falls in, and no schedule of their own", async () => {
  const plan = await planFor("slots");
  assert.deepEqual(plan.schedules, []);
  const member = plan.members.find((m) => m.id === membershipId(digest));
  assert.deepEqual(member, {
    ...digest,
    slot: "0930",
    id: membershipId(digest),
  });
});
