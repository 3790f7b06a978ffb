import type { OutcomeChanges } from "./reconcile_outcome.ts";
import type { Membership } from "./slot_plan.ts";

/** A member as the plan wants it: its membership and public id. */
export type PlannedMember = Membership & { id: string };

/**
 * What it takes to turn one user's stored slot members into the planned
 * ones (the shared placement's half of a reconcile; none are planned under
 * per-user placement, which is how switching placement empties them).
 */
export interface MemberChanges {
  /** Ids of the members that went away. */
  remove: string[];
  /** Members that are new, or now belong in another slot. */
  put: PlannedMember[];
  /**
   * The slots to compare with QStash once the members are written, sorted:
   * every slot the user joined, left or is in.
   */
  slots: string[];
  /** The same, as a reconcile outcome names it. */
  changes: OutcomeChanges;
}

export function memberChanges(
  stored: readonly { id: string; slot: string }[],
  planned: readonly PlannedMember[],
): MemberChanges {
  const before = new Map(stored.map((m) => [m.id, m]));
  const wanted = new Set(planned.map((m) => m.id));
  const remove = stored.filter((m) => !wanted.has(m.id));
  const put = planned.filter((m) => before.get(m.id)?.slot !== m.slot);
  const slots = new Set<string>();
  for (const m of remove) slots.add(m.slot);
  for (const m of put) {
    slots.add(m.slot);
    const old = before.get(m.id);
    if (old) slots.add(old.slot);
  }
  // Every slot the user is in is checked, not only those that changed: a
  // retry after QStash failed changes no member, and must still finish.
  for (const m of planned) slots.add(m.slot);
  const moved = new Set(put.map((m) => m.id));
  return {
    remove: remove.map((m) => m.id),
    put,
    slots: [...slots].sort(),
    changes: {
      created: put.filter((m) => !before.has(m.id)).map((m) => m.id),
      updated: put.filter((m) => before.has(m.id)).map((m) => m.id),
      deleted: remove.map((m) => m.id),
      unchanged: planned.filter((m) => !moved.has(m.id)).map((m) => m.id),
    },
  };
}
