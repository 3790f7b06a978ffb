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
