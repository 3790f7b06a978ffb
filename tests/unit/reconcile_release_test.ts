import assert from "node:assert/strict";
import { eq } from "drizzle-orm";
import { memberChanges } from "../../src/domain/schedules/member_changes.ts";
import {
  type DesiredSchedule,
  scheduleIdFor,
} from "../../src/domain/schedules/schedule_plan.ts";
import {
  membershipId,
  slotScheduleId,
} from "../../src/domain/schedules/slot_plan.ts";
import { SchedulerError } from "../../src/ports/scheduler.ts";
import {
  memberQueries,
  releaseFailed,
  releaseRound,
  slotsFollowed,
} from "../../src/services/preferences/reconcile_release.ts";
import {
  callScheduler,
  type ScheduleCalls,
} from "../../src/services/preferences/schedule_calls.ts";
import { writeSchedulerRunning } from "../../src/store/control/scheduler_state_store.ts";
import { schema } from "../../src/store/database.ts";
import { savePreferencesQuery } from "../../src/store/preferences/preferences_store.ts";
import {
  heldSchedulesOf,
  recordHeldQuery,
} from "../../src/store/schedules/schedule_ledger.ts";
import { membersOfUserQuery } from "../../src/store/schedules/slot_store.ts";
import { type ServiceDeps, startServiceDeps } from "../support/service_deps.ts";

// The release steps of a reconcile round: what they write to libSQL, and
// when they let go of the user's lease.

const LEASE = "lease-1";

const at = (time: string): DesiredSchedule => ({
  id: scheduleIdFor("ada", "morningDigest", time),
  userId: "ada",
  type: "morningDigest",
  localTime: time,
  cron: `CRON_TZ=UTC 0 ${time.slice(0, 2)} * * *`,
  destination: "https://herald.example/v1/qstash/callback",
  body: "{}",
});

async function withLeasedUser(fn: (s: ServiceDeps) => Promise<void>) {
  const s = await startServiceDeps({ placement: "per-user" });
  try {
    await save(s, "{}");
    await fn(s);
  } finally {
    await s.close();
  }
}

/** A new version of ada's row; the lease is LEASE's while it lasts. */
async function save(s: ServiceDeps, json: string) {
  await savePreferencesQuery(s.ctx.db, {
    userId: "ada",
    write: { mode: "replace", json },
    lease: { id: LEASE, until: s.clock.now + 30_000 },
    now: s.clock.now,
  });
}

async function row(s: ServiceDeps) {
  const [found] = await s.ctx.db.select().from(schema.preferences)
    .where(eq(schema.preferences.userId, "ada"));
  if (!found) throw new Error("ada has no row");
  return found;
}

const DIGEST = {
  userId: "ada",
  type: "morningDigest",
  localTime: "09:30",
  slot: "0930",
};
/** Ada's 09:30 digest as a slot member (shared placement). */
const DIGEST_MEMBER = { ...DIGEST, id: membershipId(DIGEST) };

const noMembers = (s: ServiceDeps) =>
  memberQueries(s.ctx.db, "ada", memberChanges([], []), s.clock.now);

function create(s: ServiceDeps, desired: DesiredSchedule[]) {
  return callScheduler({
    ctx: s.ctx,
    userId: "ada",
    desired,
    held: [],
    heldIsTruth: false,
    runningAtStart: true,
  });
}

function release(
  s: ServiceDeps,
  calls: ScheduleCalls,
  more: { leaseId?: string; truth?: DesiredSchedule[] } = {},
) {
  return releaseRound({
    ctx: s.ctx,
    round: {
      lease: { userId: "ada", leaseId: more.leaseId ?? LEASE, version: 1 },
      runningAtStart: true,
      calls,
      truth: more.truth ?? null,
      members: noMembers(s),
    },
  });
}

Deno.test("releaseRound() writes the confirmed calls to the ledger and lets go of the lease, synced", async () => {
  await withLeasedUser(async (s) => {
    const calls = await create(s, [at("07:00")]);
    const released = await release(s, calls);
    assert.deepEqual(released, { status: "synced", outOfStep: [] });
    assert.deepEqual(
      (await heldSchedulesOf(s.ctx.db, "ada")).map((h) => h.id),
      [at("07:00").id],
    );
    const after = await row(s);
    assert.equal(after.leaseId, null);
    assert.equal(after.syncStatus, "synced");
    assert.equal(after.syncedVersion, 1);
  });
});

Deno.test("releaseRound() answers pending when a newer version was saved meanwhile, so the holder goes round again", async () => {
  await withLeasedUser(async (s) => {
    const calls = await create(s, [at("07:00")]);
    await save(s, '{"enabled":false}');
    const released = await release(s, calls);
    assert.equal(released.status, "pending");
    const after = await row(s);
    assert.equal(after.version, 2);
    assert.equal(after.syncStatus, "pending");
    assert.equal(after.syncedVersion, 1);
  });
});

Deno.test("releaseRound() answers lost and lets go of nothing when the lease is no longer its own", async () => {
  await withLeasedUser(async (s) => {
    const calls = await create(s, [at("07:00")]);
    const released = await release(s, calls, { leaseId: "someone-else" });
    assert.equal(released.status, "lost");
    assert.equal((await row(s)).leaseId, LEASE);
  });
});

Deno.test("releaseRound() pauses what the round wrote when a stop landed meanwhile, then lets go", async () => {
  await withLeasedUser(async (s) => {
    const seven = at("07:00");
    const calls = await create(s, [seven]);
    await writeSchedulerRunning(s.ctx.db, false, s.clock.now);
    const released = await release(s, calls);
    assert.equal(released.status, "synced");
    assert.deepEqual(s.scheduler.callsOf("pauseSchedule"), [seven.id]);
    assert.equal(s.scheduler.schedules.get(seven.id)?.paused, true);
    assert.deepEqual(
      (await heldSchedulesOf(s.ctx.db, "ada")).map((h) => h.paused),
      [true],
    );
  });
});

Deno.test("releaseRound() from QStash's own answer makes the plan the user's whole ledger", async () => {
  await withLeasedUser(async (s) => {
    const stale = at("06:00");
    await s.ctx.db.batch([
      recordHeldQuery(s.ctx.db, stale, s.clock.now, false),
    ]);
    const seven = at("07:00");
    const calls = await create(s, [seven]);
    const released = await release(s, calls, { truth: [seven] });
    assert.equal(released.status, "synced");
    assert.deepEqual(
      (await heldSchedulesOf(s.ctx.db, "ada")).map((h) => h.id),
      [seven.id],
    );
  });
});

Deno.test("releaseRound() writes the members with the release and names the slots QStash does not follow yet", async () => {
  await withLeasedUser(async (s) => {
    const members = memberChanges([], [DIGEST_MEMBER]);
    const released = await releaseRound({
      ctx: s.ctx,
      round: {
        lease: { userId: "ada", leaseId: LEASE, version: 1 },
        runningAtStart: true,
        calls: await create(s, []),
        truth: null,
        members: memberQueries(s.ctx.db, "ada", members, s.clock.now),
      },
    });
    assert.deepEqual(released, { status: "synced", outOfStep: ["0930"] });
    assert.deepEqual(
      (await membersOfUserQuery(s.ctx.db, "ada")).map((m) => m.id),
      [DIGEST_MEMBER.id],
    );
  });
});

Deno.test("releaseFailed() keeps what QStash confirmed, leaves the row pending with the error and a retry in 5 s", async () => {
  await withLeasedUser(async (s) => {
    const seven = at("07:00");
    const calls = await create(s, [seven]);
    const refused = new SchedulerError("QStash answered 429", 429);
    const error = await releaseFailed({
      ctx: s.ctx,
      failed: {
        lease: { userId: "ada", leaseId: LEASE },
        confirmed: calls.confirmed,
        error: refused,
      },
    });
    assert.equal(error, refused);
    assert.deepEqual(
      (await heldSchedulesOf(s.ctx.db, "ada")).map((h) => h.id),
      [seven.id],
    );
    const after = await row(s);
    assert.equal(after.leaseId, null);
    assert.equal(after.syncStatus, "pending");
    assert.equal(after.syncError, "QStash answered 429");
    assert.equal(after.syncAttempts, 1);
    assert.equal(after.nextSyncAt, s.clock.now + 5_000);
  });
});

Deno.test("releaseFailed() records an error that is not the scheduler's as internal, and throws it", async () => {
  await withLeasedUser(async (s) => {
    const bug = new TypeError("a bug");
    await assert.rejects(
      releaseFailed({
        ctx: s.ctx,
        failed: {
          lease: { userId: "ada", leaseId: LEASE },
          confirmed: [],
          error: bug,
        },
      }),
      (thrown) => thrown === bug,
    );
    const after = await row(s);
    assert.equal(after.syncError, "internal");
    assert.equal(after.leaseId, null);
  });
});

Deno.test("slotsFollowed() makes the slot's schedule, or marks the user pending when QStash refuses", async () => {
  await withLeasedUser(async (s) => {
    const members = memberChanges([], [DIGEST_MEMBER]);
    const [first, ...rest] = memberQueries(
      s.ctx.db,
      "ada",
      members,
      s.clock.now,
    ).writes;
    if (!first) throw new Error("one member to write");
    await s.ctx.db.batch([first, ...rest]);

    s.scheduler.fail({ method: "upsertSchedule" });
    assert.equal(
      await slotsFollowed({ ctx: s.ctx, userId: "ada", out: ["0930"] }),
      false,
    );
    const after = await row(s);
    assert.equal(after.syncStatus, "pending");
    assert.equal(after.nextSyncAt, s.clock.now + 5_000);

    s.scheduler.heal();
    assert.equal(
      await slotsFollowed({ ctx: s.ctx, userId: "ada", out: ["0930"] }),
      true,
    );
    assert.ok(s.scheduler.schedules.has(slotScheduleId("0930")));
  });
});
