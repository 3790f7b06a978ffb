import type { ServiceContext } from "../../context.ts";
import type { MemberChanges } from "../../domain/schedules/member_changes.ts";
import type { DesiredSchedule } from "../../domain/schedules/schedule_plan.ts";
import { shortId } from "../../domain/codecs/log_redaction.ts";
import { SchedulerError } from "../../ports/scheduler.ts";
import type { Database } from "../../store/database.ts";
import {
  markPending,
  releaseLeaseFailed,
  releaseLeaseSynced,
  releaseSyncedQuery,
  type UserLease,
} from "../../store/preferences/preferences_store.ts";
import { replaceLedgerQueries } from "../../store/schedules/schedule_ledger.ts";
import {
  memberWrites,
  outOfStepSlots,
  slotsOutOfStepQuery,
} from "../../store/schedules/slot_store.ts";
import { syncSlots } from "../schedules/slot_schedules.ts";
import {
  type ConfirmedCall,
  type LedgerWrite,
  ledgerWrites,
  type ScheduleCalls,
} from "./schedule_calls.ts";

/** The user's members after a round, as statements for its release batch. */
export interface MemberQueries {
  writes: ReturnType<typeof memberWrites>;
  /**
   * Closes the release batch: which of the slots this user is in, joined
   * or left disagree with the ledger once the members are written.
   */
  check: ReturnType<typeof slotsOutOfStepQuery>[];
  /** Reads the check's answer from the end of the batch's results. */
  outOfStep(results: readonly unknown[]): string[];
}

/** Members are libSQL rows: their writes go out with the release. */
export function memberQueries(
  db: Database,
  userId: string,
  members: MemberChanges,
  now: number,
): MemberQueries {
  const check = members.slots.length
    ? [slotsOutOfStepQuery(db, members.slots, now)]
    : [];
  return {
    writes: memberWrites(db, userId, {
      remove: members.remove,
      put: members.put,
      now,
    }),
    check,
    outOfStep: (results) => check.length ? outOfStepSlots(results.at(-1)) : [],
  };
}

/** A round whose QStash calls all succeeded, ready to let go of the lease. */
export interface RoundRelease {
  lease: UserLease & { version: number };
  runningAtStart: boolean;
  calls: ScheduleCalls;
  /**
   * The plan's schedules, when the round started from QStash's own answer:
   * then they become the user's whole ledger.
   */
  truth: readonly DesiredSchedule[] | null;
  members: MemberQueries;
}

export interface Released {
  /** The row's state once let go; undefined: the lease was not ours. */
  status: "synced" | "pending" | "lost" | undefined;
  /** Slots the user joined or left that QStash does not follow yet. */
  outOfStep: string[];
}

/**
 * Writes the round to libSQL and lets go of the lease: the row is synced
 * unless a newer version was saved meanwhile (`pending`: go round again).
 * Commonly one round trip: ledger, members and release in one batch, the
 * release conditional on the scheduler's state being what the round saw.
 * When schedules are in the wrong paused state (drift repair, a stop
 * racing this write), or a stop or start landed meanwhile, they are moved
 * first and the lease let go after.
 */
export async function releaseRound({ ctx, round }: {
  ctx: ServiceContext;
  round: RoundRelease;
}): Promise<Released> {
  const { lease, calls, members } = round;
  const { pauses } = calls;
  const writes = ledgerWrites(ctx.db, calls.confirmed);
  // Read once the pauses settled: they say what the truth now holds.
  const truth = () =>
    round.truth === null ? [] : replaceLedgerQueries(
      ctx.db,
      lease.userId,
      round.truth.map((schedule) => ({
        schedule,
        paused: pauses.pausedOf(schedule.id) ?? false,
      })),
      ctx.now(),
    );
  if (pauses.needsMove(round.runningAtStart)) {
    // Rare: ledger first, then move them, then release.
    await flush(ctx.db, writes);
    await pauses.settle();
    const [released, ...rest] = await ctx.db.batch([
      releaseSyncedQuery(ctx.db, lease),
      ...truth(),
      ...members.writes,
      ...members.check,
    ]);
    return {
      status: released[0]?.syncStatus ?? "lost",
      outOfStep: members.outOfStep(rest),
    };
  }
  const [released, ...rest] = await ctx.db.batch([
    releaseSyncedQuery(ctx.db, {
      ...lease,
      whenRunning: pauses.tracking ? round.runningAtStart : undefined,
    }),
    ...writes,
    ...truth(),
    ...members.writes,
    ...members.check,
  ]);
  const outOfStep = members.outOfStep(rest);
  let status: Released["status"] = released[0]?.syncStatus;
  if (status === undefined && pauses.tracking) {
    await pauses.settle();
    status = await releaseLeaseSynced(ctx.db, lease);
  }
  return { status, outOfStep };
}

/**
 * Lets go of the lease after a failed call: what QStash confirmed goes to
 * the ledger first, then the row stays pending with a retry time (the cron
 * trigger picks it up). Answers the scheduler's error; any other is thrown.
 */
export async function releaseFailed({ ctx, failed }: {
  ctx: ServiceContext;
  failed: {
    lease: UserLease;
    confirmed: readonly ConfirmedCall[];
    error: unknown;
  };
}): Promise<SchedulerError> {
  const { lease, error } = failed;
  await flush(ctx.db, ledgerWrites(ctx.db, failed.confirmed));
  await releaseLeaseFailed(ctx.db, {
    userId: lease.userId,
    leaseId: lease.leaseId,
    error: error instanceof SchedulerError ? error.message : "internal",
    retryAt: retryAt(ctx),
  });
  if (!(error instanceof SchedulerError)) throw error;
  return error;
}

/**
 * After members joined or left slots: the slots out of step with QStash
 * are synced (a first member creates the schedule, a last one leaving
 * deletes it). When QStash cannot be reached the members stay saved and
 * the user is marked pending, so the cron trigger comes back (and the
 * maintenance sweep makes the slots follow in any case).
 */
export async function slotsFollowed({ ctx, userId, out }: {
  ctx: ServiceContext;
  userId: string;
  out: readonly string[];
}): Promise<boolean> {
  try {
    await syncSlots({ ctx, slots: out });
    return true;
  } catch (error) {
    if (!(error instanceof SchedulerError)) throw error;
    await markPending(ctx.db, userId, error.message, retryAt(ctx));
    ctx.log.warn("reconcile.pending", {
      user: shortId(userId),
      status: error.status ?? null,
    });
    return false;
  }
}

async function flush(db: Database, writes: readonly LedgerWrite[]) {
  const [first, ...rest] = writes;
  if (first) await db.batch([first, ...rest]);
}

/** Retry delay after the n-th failed attempt: 5 s doubling up to 10 min. */
function retryDelayMs(attempts: number): number {
  return Math.min(600_000, 5_000 * 2 ** Math.max(0, attempts - 1));
}

function retryAt(ctx: Pick<ServiceContext, "now">) {
  return (attempts: number) => ctx.now() + retryDelayMs(attempts);
}
