import type { ServiceContext } from "../../context.ts";
import type { HeldWithPause } from "../../domain/schedules/drift.ts";
import { diffSchedules } from "../../domain/schedules/reconcile_diff.ts";
import type { OutcomeChanges } from "../../domain/schedules/reconcile_outcome.ts";
import type { DesiredSchedule } from "../../domain/schedules/schedule_plan.ts";
import { atMostAtOnce } from "../../domain/concurrency/at_most_at_once.ts";
import { shortId } from "../../domain/codecs/log_redaction.ts";
import type { Database } from "../../store/database.ts";
import {
  forgetHeldQuery,
  recordHeldQuery,
  type replaceLedgerQueries,
} from "../../store/schedules/schedule_ledger.ts";
import { type PauseTracker, pauseTracker } from "../schedules/pause_tracker.ts";

/** What one round's QStash calls work from. */
export interface ScheduleCallsInput {
  ctx: ServiceContext;
  userId: string;
  /** The plan's per-user schedules (none under the shared placement). */
  desired: readonly DesiredSchedule[];
  /** The ledger, or QStash's own answer when `heldIsTruth`. */
  held: readonly HeldWithPause[];
  heldIsTruth: boolean;
  /** The scheduler's state as the round's lease read it. */
  runningAtStart: boolean;
}

/** A call QStash confirmed, with what the ledger is to record of it. */
export type ConfirmedCall =
  | { kind: "deleted"; id: string }
  | {
    kind: "created" | "updated";
    schedule: DesiredSchedule;
    /** Paused right after (the scheduler is stopped). */
    paused: boolean;
    /** When QStash confirmed it. */
    at: number;
  };

export interface ScheduleCalls {
  /** In the order QStash confirmed them. */
  confirmed: ConfirmedCall[];
  /** Ids already as planned, sorted. */
  unchanged: string[];
  /** The first call that failed, if one did. */
  failure: { error: unknown } | null;
  /** The paused states written or left alone, for the release to settle. */
  pauses: PauseTracker;
}

/**
 * The per-user placement's half of a round: makes QStash hold the plan's
 * schedules for one user — creates, updates and deletes only what differs
 * from `held` — and answers with what it confirmed. Written while the
 * scheduler is stopped, a schedule is paused at once. A failed call is
 * answered, not thrown: the calls confirmed before it still belong in the
 * ledger.
 */
export async function callScheduler(
  input: ScheduleCallsInput,
): Promise<ScheduleCalls> {
  const { ctx, held, heldIsTruth } = input;
  const diff = diffSchedules(input.desired, held);
  const pauses = pauseTracker({
    ctx,
    runningAtStart: input.runningAtStart,
  });
  // With QStash's own list as the truth every kept schedule's paused state
  // is checked; with the ledger, only those it says are paused (running
  // schedules of a stopped scheduler are the stop operation's job).
  const unchanged = new Set(diff.unchanged);
  for (const h of held) {
    if (unchanged.has(h.id) && (heldIsTruth || h.paused)) {
      pauses.track(h.id, h.paused);
    }
  }
  const user = shortId(input.userId);
  const calls: (() => Promise<ConfirmedCall>)[] = [
    ...diff.delete.map(({ id }) => async (): Promise<ConfirmedCall> => {
      await ctx.scheduler.deleteSchedule(id);
      ctx.log.info("schedule.deleted", { user, schedule: id });
      return { kind: "deleted", id };
    }),
    ...([[diff.create, "created"], [diff.update, "updated"]] as const)
      .flatMap(([list, kind]) =>
        list.map((schedule) => async (): Promise<ConfirmedCall> => {
          await ctx.scheduler.upsertSchedule(schedule);
          const paused = await pauses.afterUpsert(schedule.id);
          const at = ctx.now();
          ctx.log.info(`schedule.${kind}`, { user, schedule: schedule.id });
          return { kind, schedule, paused, at };
        })
      ),
  ];
  const { done, failure } = await fewAtOnce(calls);
  return { confirmed: done, unchanged: diff.unchanged, failure, pauses };
}

/**
 * The round's calls as a reconcile outcome names them. A round cut short
 * by a failure claims nothing unchanged: it never got to check.
 */
export function changesOf(calls: ScheduleCalls): OutcomeChanges {
  const ids = (kind: ConfirmedCall["kind"]) =>
    calls.confirmed.flatMap((c) =>
      c.kind !== kind ? [] : [c.kind === "deleted" ? c.id : c.schedule.id]
    );
  return {
    created: ids("created"),
    updated: ids("updated"),
    deleted: ids("deleted"),
    unchanged: calls.failure ? [] : calls.unchanged,
  };
}

export type LedgerWrite =
  | ReturnType<typeof recordHeldQuery>
  | ReturnType<typeof forgetHeldQuery>
  | ReturnType<typeof replaceLedgerQueries>[number];

/**
 * The ledger's record of the confirmed calls, for the release batch. Until
 * that batch the ledger may trail QStash, which only ever costs a repeated
 * upsert or a delete of something already gone.
 */
export function ledgerWrites(
  db: Database,
  confirmed: readonly ConfirmedCall[],
): LedgerWrite[] {
  return confirmed.map((c) =>
    c.kind === "deleted"
      ? forgetHeldQuery(db, c.id)
      : recordHeldQuery(db, c.schedule, c.at, c.paused)
  );
}

/**
 * One user's QStash calls, a few at a time (`atMostAtOnce`, the one
 * limiter): a one-slot change (delete the old slot, create the new) costs
 * one round trip instead of two, while QStash's burst limit on its
 * management API is never pushed (a restart reconciles users one after
 * another). Once a call fails no other starts, but every call under way is
 * allowed to finish, so each confirmed one reaches the ledger.
 */
const CALLS_AT_ONCE = 4;

async function fewAtOnce<T>(
  calls: readonly (() => Promise<T>)[],
): Promise<{ done: T[]; failure: { error: unknown } | null }> {
  const done: T[] = [];
  const failures: unknown[] = [];
  await atMostAtOnce(calls, CALLS_AT_ONCE, async (call) => {
    if (failures.length) return;
    try {
      done.push(await call());
    } catch (error) {
      failures.push(error);
    }
  });
  return { done, failure: failures.length ? { error: failures[0] } : null };
}
