import type { ServiceContext } from "../../context.ts";
import type { HeldWithPause } from "../../domain/schedules/drift.ts";
import type { Preferences } from "../../domain/preferences/preferences.ts";
import { memberChanges } from "../../domain/schedules/member_changes.ts";
import {
  pendingOutcome,
  type ReconcileOutcome,
  sortedOutcome,
  withChanges,
} from "../../domain/schedules/reconcile_outcome.ts";
import { databaseOutageOf } from "../../store/database_outage.ts";
import { shortId } from "../../domain/codecs/log_redaction.ts";
import {
  acquireLeaseQuery,
  type StoredPreferences,
} from "../../store/preferences/preferences_store.ts";
import { heldQuery } from "../../store/schedules/schedule_ledger.ts";
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
  type StoredMember,
} from "../../store/schedules/slot_store.ts";
import { decodeStoredPreferences } from "../schedules/stored_preferences.ts";
import { planUser } from "../schedules/user_plan.ts";
import { callScheduler, changesOf } from "./schedule_calls.ts";
import {
  memberQueries,
  releaseFailed,
  releaseRound,
  slotsFollowed,
} from "./reconcile_release.ts";

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

/**
 * Brings QStash to the user's latest saved preferences: creates, updates and
 * deletes only that user's schedules, recording each confirmed call in the
 * ledger. Callers for one user are serialised by a lease on the preferences
 * row; a caller that finds the lease taken returns `pending`, and the holder
 * goes round again until the version it synced is the latest one. On a
 * QStash failure the row stays pending with a retry time (the cron trigger
 * picks it up), and nothing saved is lost; the same when libSQL itself
 * cannot be reached midway (`reason: "database_unavailable"`).
 *
 * Each round is a few steps, each answering with what it did: the lease's
 * read, the plan (`planUser`), the members' changes, QStash's calls
 * (`callScheduler`), and the release (`releaseRound`); the outcome is what
 * the rounds' steps answered, added up (`withChanges`).
 */
export async function reconcileUser({ ctx, userId, opts = {} }: {
  ctx: ServiceContext;
  userId: string;
  opts?: ReconcileOptions;
}): Promise<ReconcileOutcome> {
  const leaseId = opts.leased?.leaseId ?? crypto.randomUUID();
  // Logged with the outcome; herald_reconcile_duration_seconds reads it.
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const user = shortId(userId);
  let outcome = pendingOutcome();
  try {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const start = round === 0 && opts.leased
        ? opts.leased
        : await leaseRound(ctx, userId, leaseId);
      if (!start) {
        ctx.log.info("reconcile.busy", { user, ms: ms() });
        return { ...outcome, reason: "in_progress" };
      }
      const { row } = start;
      const lease = { userId, leaseId, version: row.version };
      const truth = round === 0 ? opts.held : undefined;
      // Never older than the lease's read: a type changed a moment ago in
      // another isolate is planned as it is now.
      const catalogue = await ctx.catalogue(start.catalogueRevision);
      const prefs = start.preferences ??
        decodeStoredPreferences(row.data, catalogue);
      const now = ctx.now();
      const plan = planUser({
        ctx,
        user: { userId: row.userId, prefs },
        catalogue,
        now,
      });
      const members = memberChanges(start.members, plan.members);
      outcome = withChanges(outcome, members.changes);
      const calls = await callScheduler({
        ctx,
        userId: row.userId,
        desired: plan.schedules,
        held: truth ?? start.ledger,
        heldIsTruth: truth !== undefined,
        runningAtStart: start.running,
      });
      outcome = withChanges(outcome, changesOf(calls));
      if (calls.failure) {
        const error = await releaseFailed({
          ctx,
          failed: {
            lease,
            confirmed: calls.confirmed,
            error: calls.failure.error,
          },
        });
        ctx.log.warn("reconcile.pending", {
          user,
          status: error.status ?? null,
          ms: ms(),
        });
        return {
          ...outcome,
          status: "pending",
          reason: "scheduler_unavailable",
        };
      }
      outcome = sortedOutcome(outcome);
      const released = await releaseRound({
        ctx,
        round: {
          lease,
          runningAtStart: start.running,
          calls,
          truth: truth === undefined ? null : plan.schedules,
          members: memberQueries(ctx.db, userId, members, now),
        },
      });
      if (
        released.outOfStep.length &&
        !await slotsFollowed({ ctx, userId, out: released.outOfStep })
      ) {
        return {
          ...outcome,
          status: "pending",
          reason: "scheduler_unavailable",
        };
      }
      if (released.status === "synced") {
        ctx.log.info("reconcile.synced", {
          user,
          created: outcome.created.length,
          updated: outcome.updated.length,
          deleted: outcome.deleted.length,
          ms: ms(),
        });
        return { ...outcome, status: "synced" };
      }
      // A newer version was saved while we worked: go round again for it.
    }
    return { ...outcome, reason: "in_progress" };
  } catch (error) {
    // A preference write that gets here is saved, and marked pending,
    // already: losing libSQL now must not make its answer say it failed.
    // The lease it may hold runs out and the cron trigger finishes the job;
    // callers with nothing saved turn this into their own 503. The outcome
    // says what the steps did before it.
    if (!databaseOutageOf(error)) throw error;
    ctx.log.warn("reconcile.pending", {
      user,
      reason: "database_unavailable",
    });
    return { ...outcome, status: "pending", reason: "database_unavailable" };
  }
}

/** One round trip: the lease, the ledger, members and the scheduler's state. */
async function leaseRound(
  ctx: ServiceContext,
  userId: string,
  leaseId: string,
): Promise<LeasedStart | null> {
  const [leased, ledger, members, state, revision] = await ctx.db.batch([
    acquireLeaseQuery(ctx.db, {
      userId,
      leaseId,
      now: ctx.now(),
      leaseMs: USER_RECONCILE_LEASE_MS,
    }),
    heldQuery(ctx.db, userId),
    membersOfUserQuery(ctx.db, userId),
    runningQuery(ctx.db),
    catalogueRevisionQuery(ctx.db),
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
