import type { HeldWithPause } from "../../domain/schedules/drift.ts";
import type { Preferences } from "../../domain/preferences/preferences.ts";
import { diffSchedules } from "../../domain/schedules/reconcile_diff.ts";
import {
  pendingOutcome,
  type ReconcileOutcome,
} from "../../domain/schedules/reconcile_outcome.ts";
import type { DesiredSchedule } from "../../domain/schedules/schedule_plan.ts";
import type { AppDeps } from "../../deps.ts";
import { databaseOutageOf } from "../../store/database_outage.ts";
import { shortId } from "../../domain/codecs/log_redaction.ts";
import { atMostAtOnce } from "../../domain/concurrency/at_most_at_once.ts";
import {
  acquireLeaseQuery,
  markPending,
  releaseLeaseFailed,
  releaseLeaseSynced,
  releaseSyncedQuery,
  type StoredPreferences,
} from "../../store/preferences/preferences_store.ts";
import {
  forgetHeldQuery,
  heldQuery,
  recordHeldQuery,
  replaceLedgerQueries,
} from "../../store/schedules/schedule_ledger.ts";
import { SchedulerError } from "../../ports/scheduler.ts";
import {
  catalogueRevisionOf,
  catalogueRevisionQuery,
} from "../../store/catalogue/catalogue_store.ts";
import {
  runningOf,
  runningQuery,
} from "../../store/control/scheduler_state_store.ts";
import {
  membersOfUserQuery,
  memberWrites,
  outOfStepSlots,
  slotsOutOfStepQuery,
  type StoredMember,
} from "../../store/schedules/slot_store.ts";
import { syncSlots } from "../schedules/slot_schedules.ts";
import { type PauseTracker, pauseTracker } from "../schedules/pause_tracker.ts";
import { decodeStoredPreferences } from "../schedules/stored_preferences.ts";
import { planUser, type UserPlan } from "../schedules/user_plan.ts";

export type ReconcileDeps = Pick<
  AppDeps,
  "db" | "scheduler" | "log" | "now" | "config" | "catalogue"
>;

/** A first round already leased by the caller, with what it read. */
export interface LeasedStart {
  leaseId: string;
  row: StoredPreferences;
  ledger: HeldWithPause[];
  /** The user's slot members as stored (shared placement). */
  members: StoredMember[];
  running: boolean;
  /** The catalogue's revision as of this read (store/catalogue_store.ts). */
  catalogueRevision: number;
  /** The row's preferences when the caller has them parsed already. */
  preferences?: Preferences;
}

export interface ReconcileOptions {
  /**
   * The preference write took the lease and read the ledger and the
   * scheduler's state in its own batch: round one skips that round trip.
   */
  leased?: LeasedStart;
  /**
   * What QStash really holds for this user (its list or gets), used instead
   * of the ledger for the first round: drift repair and restart.
   */
  held?: readonly HeldWithPause[];
}

/** A user's reconcile lease: a holder that dies keeps it this long at most. */
export const USER_RECONCILE_LEASE_MS = 30_000;
/** Rounds one caller makes while newer versions keep arriving. */
const MAX_ROUNDS = 64;

/** Retry delay after the n-th failed attempt: 5 s doubling up to 10 min. */
export function retryDelayMs(attempts: number): number {
  return Math.min(600_000, 5_000 * 2 ** Math.max(0, attempts - 1));
}

/**
 * Brings QStash to the user's latest saved preferences: creates, updates and
 * deletes only that user's schedules, recording each confirmed call in the
 * ledger. Callers for one user are serialised by a lease on the preferences
 * row; a caller that finds the lease taken returns `pending`, and the holder
 * goes round again until the version it synced is the latest one. On a
 * QStash failure the row stays pending with a retry time (the cron trigger
 * picks it up), and nothing saved is lost; the same when libSQL itself
 * cannot be reached midway (`reason: "database_unavailable"`).
 */
export async function reconcileUser(
  deps: ReconcileDeps,
  userId: string,
  opts: ReconcileOptions = {},
): Promise<ReconcileOutcome> {
  const outcome = pendingOutcome();
  try {
    return await reconcileRounds(deps, userId, opts, outcome);
  } catch (error) {
    // A preference write that gets here is saved, and marked pending,
    // already: losing libSQL now must not make its answer say it failed.
    // The lease it may hold runs out and the cron trigger finishes the job;
    // callers with nothing saved turn this into their own 503.
    if (!databaseOutageOf(error)) throw error;
    deps.log.warn("reconcile.pending", {
      user: shortId(userId),
      reason: "database_unavailable",
    });
    return { ...outcome, status: "pending", reason: "database_unavailable" };
  }
}

async function reconcileRounds(
  deps: ReconcileDeps,
  userId: string,
  opts: ReconcileOptions,
  outcome: ReconcileOutcome,
): Promise<ReconcileOutcome> {
  const leaseId = opts.leased?.leaseId ?? crypto.randomUUID();
  // Logged with the outcome; herald_reconcile_duration_seconds reads it.
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const start = round === 0 && opts.leased
      ? opts.leased
      : await leaseRound(deps, userId, leaseId);
    if (!start) {
      deps.log.info("reconcile.busy", { user: shortId(userId), ms: ms() });
      return { ...outcome, reason: "in_progress" };
    }
    const { row, ledger } = start;
    // Never older than the lease's read: a type changed a moment ago in
    // another isolate is planned as it is now.
    const catalogue = await deps.catalogue(start.catalogueRevision);
    const prefs = start.preferences ??
      decodeStoredPreferences(row.data, catalogue);
    const plan = planUser(
      deps,
      { userId: row.userId, prefs },
      catalogue,
      deps.now(),
    );
    const runningAtStart = start.running;
    const truth = round === 0 ? opts.held : undefined;
    // Members are libSQL rows: their writes go out with the release below.
    const members = memberChanges(
      deps,
      { userId: row.userId, desired: plan.members },
      start.members,
    );
    members.note(outcome);
    // Ledger writes wait for the end of the round and go out in one batch.
    // Until then the ledger may trail QStash, which only ever costs a
    // repeated upsert or a delete of something already gone.
    const writes: LedgerWrite[] = [];
    let applied: Applied;
    try {
      applied = await applyOnce({
        deps,
        userId: row.userId,
        desired: plan.schedules,
        held: truth ?? ledger,
        heldIsTruth: truth !== undefined,
        runningAtStart,
        outcome,
        writes,
      });
    } catch (error) {
      await flush(deps, writes);
      const message = error instanceof SchedulerError
        ? error.message
        : "internal";
      await releaseLeaseFailed(deps.db, {
        userId,
        leaseId,
        error: message,
        retryAt: retryAt(deps),
      });
      if (!(error instanceof SchedulerError)) throw error;
      deps.log.warn("reconcile.pending", {
        user: shortId(userId),
        status: error.status ?? null,
        ms: ms(),
      });
      return { ...outcome, status: "pending", reason: "scheduler_unavailable" };
    }
    const ledgerTruth = () =>
      truth === undefined ? [] : replaceLedgerQueries(
        deps.db,
        userId,
        applied.desired.map((schedule) => ({
          schedule,
          paused: applied.pauses.pausedOf(schedule.id) ?? false,
        })),
        deps.now(),
      );
    let status: "synced" | "pending" | "lost" | undefined;
    let outOfStep: string[] = [];
    if (applied.pauses.needsMove(runningAtStart)) {
      // Rare (drift repair, a stop racing this write): schedules in the
      // wrong paused state. Ledger first, then move them, then release.
      await flush(deps, writes);
      await applied.pauses.settle();
      const [released, ...rest] = await deps.db.batch([
        releaseSyncedQuery(deps.db, { userId, leaseId, version: row.version }),
        ...ledgerTruth(),
        ...members.writes,
        ...members.check,
      ]);
      status = released[0]?.syncStatus ?? "lost";
      outOfStep = members.outOfStep(rest);
    } else {
      // The common path: ledger writes and the release in one round trip.
      // The release is conditional on the scheduler's state being what this
      // round saw; if a stop or start landed meanwhile, settle and release.
      const [released, ...rest] = await deps.db.batch([
        releaseSyncedQuery(deps.db, {
          userId,
          leaseId,
          version: row.version,
          whenRunning: applied.pauses.tracking ? runningAtStart : undefined,
        }),
        ...writes,
        ...ledgerTruth(),
        ...members.writes,
        ...members.check,
      ]);
      status = released[0]?.syncStatus;
      outOfStep = members.outOfStep(rest);
      if (status === undefined && applied.pauses.tracking) {
        await applied.pauses.settle();
        status = await releaseLeaseSynced(deps.db, {
          userId,
          leaseId,
          version: row.version,
        });
      }
    }
    if (outOfStep.length && !await slotsFollowed(deps, userId, outOfStep)) {
      return { ...outcome, status: "pending", reason: "scheduler_unavailable" };
    }
    if (status === "synced") {
      outcome.status = "synced";
      deps.log.info("reconcile.synced", {
        user: shortId(userId),
        created: outcome.created.length,
        updated: outcome.updated.length,
        deleted: outcome.deleted.length,
        ms: ms(),
      });
      return outcome;
    }
    // A newer version was saved while we worked: go round again for it.
  }
  return { ...outcome, reason: "in_progress" };
}

interface Applied {
  pauses: PauseTracker;
  desired: DesiredSchedule[];
}

/** One round trip: the lease, the ledger, members and the scheduler's state. */
async function leaseRound(
  deps: ReconcileDeps,
  userId: string,
  leaseId: string,
): Promise<LeasedStart | null> {
  const [leased, ledger, members, state, revision] = await deps.db.batch([
    acquireLeaseQuery(deps.db, {
      userId,
      leaseId,
      now: deps.now(),
      leaseMs: USER_RECONCILE_LEASE_MS,
    }),
    heldQuery(deps.db, userId),
    membersOfUserQuery(deps.db, userId),
    runningQuery(deps.db),
    catalogueRevisionQuery(deps.db),
  ]);
  const row = leased[0];
  return row
    ? {
      leaseId,
      row,
      ledger,
      members,
      running: runningOf(state),
      catalogueRevision: catalogueRevisionOf(revision),
    }
    : null;
}

interface MemberChanges {
  writes: ReturnType<typeof memberWrites>;
  /**
   * Closes the release batch: which of the slots this user is in, joined
   * or left disagree with the ledger once the members are written.
   */
  check: ReturnType<typeof slotsOutOfStepQuery>[];
  /** Reads the check's answer from the end of the batch's results. */
  outOfStep(results: readonly unknown[]): string[];
  note(outcome: ReconcileOutcome): void;
}

/**
 * The shared placement's half of a reconcile: the user's members as the
 * plan wants them (none under per-user placement, which is how switching
 * placement empties them), as writes for the release batch.
 */
function memberChanges(
  deps: ReconcileDeps,
  user: { userId: string; desired: UserPlan["members"] },
  stored: readonly StoredMember[],
): MemberChanges {
  const { userId, desired } = user;
  const before = new Map(stored.map((m) => [m.id, m]));
  const wanted = new Set(desired.map((m) => m.id));
  const remove = stored.filter((m) => !wanted.has(m.id));
  const put = desired.filter((m) => before.get(m.id)?.slot !== m.slot);
  const touched = new Set<string>();
  for (const m of remove) touched.add(m.slot);
  for (const m of put) {
    touched.add(m.slot);
    const old = before.get(m.id);
    if (old) touched.add(old.slot);
  }
  // Every slot the user is in is checked, not only those that changed: a
  // retry after QStash failed changes no member, and must still finish.
  for (const m of desired) touched.add(m.slot);
  const check = touched.size
    ? [slotsOutOfStepQuery(deps.db, [...touched].sort(), deps.now())]
    : [];
  return {
    writes: memberWrites(deps.db, userId, {
      remove: remove.map((m) => m.id),
      put,
      now: deps.now(),
    }),
    check,
    outOfStep: (results) => check.length ? outOfStepSlots(results.at(-1)) : [],
    note(outcome) {
      for (const m of remove) note(outcome.deleted, m.id);
      for (const m of put) {
        note(before.has(m.id) ? outcome.updated : outcome.created, m.id);
      }
      const changed = new Set([...outcome.created, ...outcome.updated]);
      for (const m of desired) {
        if (!changed.has(m.id)) note(outcome.unchanged, m.id);
      }
    },
  };
}

/**
 * After members joined or left slots: the slots out of step with QStash
 * are synced (a first member creates the schedule, a last one leaving
 * deletes it). When QStash cannot be reached the members stay saved and
 * the user is marked pending, so the cron trigger comes back (and the
 * maintenance sweep makes the slots follow in any case).
 */
async function slotsFollowed(
  deps: ReconcileDeps,
  userId: string,
  out: readonly string[],
): Promise<boolean> {
  try {
    await syncSlots(deps, out);
    return true;
  } catch (error) {
    if (!(error instanceof SchedulerError)) throw error;
    await markPending(deps.db, userId, error.message, retryAt(deps));
    deps.log.warn("reconcile.pending", {
      user: shortId(userId),
      status: error.status ?? null,
    });
    return false;
  }
}

type LedgerWrite =
  | ReturnType<typeof recordHeldQuery>
  | ReturnType<typeof forgetHeldQuery>
  | ReturnType<typeof replaceLedgerQueries>[number];

async function flush(deps: ReconcileDeps, writes: LedgerWrite[]) {
  const [first, ...rest] = writes;
  if (first) await deps.db.batch([first, ...rest]);
}

function retryAt(deps: ReconcileDeps) {
  return (attempts: number) => deps.now() + retryDelayMs(attempts);
}

/** What one round's QStash calls work from, and where they report. */
interface Round {
  deps: ReconcileDeps;
  userId: string;
  /** The plan's per-user schedules (none under the shared placement). */
  desired: DesiredSchedule[];
  /** The ledger, or QStash's own answer when `heldIsTruth`. */
  held: readonly HeldWithPause[];
  heldIsTruth: boolean;
  runningAtStart: boolean;
  /** Filled in as calls are confirmed. */
  outcome: ReconcileOutcome;
  /** Ledger writes for the release batch, added as calls are confirmed. */
  writes: LedgerWrite[];
}

/**
 * The per-user placement's half of a round: one QStash schedule per type
 * and time as planned (none under the shared placement, which is how
 * switching to it deletes them).
 */
async function applyOnce(round: Round): Promise<Applied> {
  const {
    deps,
    userId,
    desired,
    held,
    heldIsTruth,
    runningAtStart,
    outcome,
    writes,
  } = round;
  const diff = diffSchedules(desired, held);
  const pauses = pauseTracker(deps, runningAtStart);
  // With QStash's own list as the truth every kept schedule's paused state
  // is checked; with the ledger, only those it says are paused (running
  // schedules of a stopped scheduler are the stop operation's job).
  const unchanged = new Set(diff.unchanged);
  for (const h of held) {
    if (unchanged.has(h.id) && (heldIsTruth || h.paused)) {
      pauses.track(h.id, h.paused);
    }
  }
  const user = shortId(userId);
  const calls: (() => Promise<void>)[] = [
    ...diff.delete.map((schedule) => async () => {
      await deps.scheduler.deleteSchedule(schedule.id);
      writes.push(forgetHeldQuery(deps.db, schedule.id));
      note(outcome.deleted, schedule.id);
      deps.log.info("schedule.deleted", { user, schedule: schedule.id });
    }),
    ...([[diff.create, "created"], [diff.update, "updated"]] as const)
      .flatMap(([list, kind]) =>
        list.map((schedule) => async () => {
          await deps.scheduler.upsertSchedule(schedule);
          const paused = await pauses.afterUpsert(schedule.id);
          writes.push(recordHeldQuery(deps.db, schedule, deps.now(), paused));
          note(outcome[kind], schedule.id);
          deps.log.info(`schedule.${kind}`, { user, schedule: schedule.id });
        })
      ),
  ];
  await fewAtOnce(calls);
  const touched = new Set([...outcome.created, ...outcome.updated]);
  for (const id of diff.unchanged) {
    if (!touched.has(id)) note(outcome.unchanged, id);
  }
  for (const list of Object.values(lists(outcome))) list.sort();
  return { pauses, desired };
}

/**
 * One user's QStash calls, a few at a time (`atMostAtOnce`, the one
 * limiter): a one-slot change (delete the old slot, create the new) costs
 * one round trip instead of two, while QStash's burst limit on its
 * management API is never pushed (a restart reconciles users one after
 * another). Once a call fails no other starts, but every call under way is
 * allowed to finish, so each confirmed one reaches the ledger; then the
 * first failure is thrown.
 */
const CALLS_AT_ONCE = 4;

async function fewAtOnce(calls: (() => Promise<void>)[]): Promise<void> {
  const failures: unknown[] = [];
  await atMostAtOnce(calls, CALLS_AT_ONCE, async (call) => {
    if (failures.length) return;
    try {
      await call();
    } catch (error) {
      failures.push(error);
    }
  });
  if (failures.length) throw failures[0];
}

function note(list: string[], id: string) {
  if (!list.includes(id)) list.push(id);
}

function lists(o: ReconcileOutcome) {
  return {
    created: o.created,
    updated: o.updated,
    deleted: o.deleted,
    unchanged: o.unchanged,
  };
}
