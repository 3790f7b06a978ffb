/**
 * What a reconcile of one user answers: whether QStash now matches the
 * user's latest saved preferences, and which of the user's schedules (or
 * slot members) it created, updated, deleted or found as they should be.
 */
export interface ReconcileOutcome {
  status: "synced" | "pending";
  created: string[];
  updated: string[];
  deleted: string[];
  unchanged: string[];
  /** Why the outcome is pending, when it is. */
  reason?: "scheduler_unavailable" | "database_unavailable" | "in_progress";
}

/** A reconcile that has changed nothing (yet), pending for `reason`. */
export function pendingOutcome(
  reason?: ReconcileOutcome["reason"],
): ReconcileOutcome {
  return {
    status: "pending",
    created: [],
    updated: [],
    deleted: [],
    unchanged: [],
    ...(reason ? { reason } : {}),
  };
}

/** What one step of a reconcile round did, by id. */
export interface OutcomeChanges {
  created: readonly string[];
  updated: readonly string[];
  deleted: readonly string[];
  /** Found as they should be (an id created or updated is not). */
  unchanged: readonly string[];
}

/**
 * The outcome with one more step's changes added. A reconcile that goes
 * round again for a newer version adds to what its earlier rounds did:
 * every id is named once per list, in the order first seen, and an id
 * created or updated in any round is never also unchanged.
 */
export function withChanges(
  outcome: ReconcileOutcome,
  changes: OutcomeChanges,
): ReconcileOutcome {
  const created = union(outcome.created, changes.created);
  const updated = union(outcome.updated, changes.updated);
  const touched = new Set([...created, ...updated]);
  return {
    ...outcome,
    created,
    updated,
    deleted: union(outcome.deleted, changes.deleted),
    unchanged: union(
      outcome.unchanged,
      changes.unchanged.filter((id) => !touched.has(id)),
    ),
  };
}

/** The outcome with every list in id order, as a finished round answers. */
export function sortedOutcome(outcome: ReconcileOutcome): ReconcileOutcome {
  return {
    ...outcome,
    created: outcome.created.toSorted(),
    updated: outcome.updated.toSorted(),
    deleted: outcome.deleted.toSorted(),
    unchanged: outcome.unchanged.toSorted(),
  };
}

function union(list: readonly string[], more: readonly string[]): string[] {
  const out = [...list];
  for (const id of more) if (!out.includes(id)) out.push(id);
  return out;
}
