import type { HeldSchedule } from "./reconcile_diff.ts";

/**
 * How one schedule compares between what Herald wants and what QStash
 * holds: `missing` (wanted, not held), `unexpected` (held, not wanted),
 * `different` (both, but cron, destination, body or paused state differ),
 * `ok`.
 */
export type DriftState = "missing" | "unexpected" | "different" | "ok";

export interface HeldWithPause extends HeldSchedule {
  paused: boolean;
}

export interface DriftEntry {
  id: string;
  state: DriftState;
  /** What differs, for `different`. */
  fields?: string[];
}

export interface DriftSummary {
  ok: number;
  missing: number;
  unexpected: number;
  different: number;
}

/**
 * Compares by id. `held` must be narrowed to the scope `desired` speaks for
 * (one user, or the schedules no preference or job wants). Sorted by id.
 */
export function compareHeld(
  desired: readonly HeldSchedule[],
  held: readonly HeldWithPause[],
  wantPaused: boolean,
): DriftEntry[] {
  const heldById = new Map(held.map((s) => [s.id, s]));
  const entries: DriftEntry[] = [];
  for (const want of desired) {
    const have = heldById.get(want.id);
    heldById.delete(want.id);
    if (!have) {
      entries.push({ id: want.id, state: "missing" });
      continue;
    }
    const fields = (["cron", "destination", "body"] as const)
      .filter((f) => want[f] !== have[f]) as string[];
    if (have.paused !== wantPaused) fields.push("paused");
    entries.push(
      fields.length
        ? { id: want.id, state: "different", fields }
        : { id: want.id, state: "ok" },
    );
  }
  for (const id of heldById.keys()) entries.push({ id, state: "unexpected" });
  return entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * How one user's slot members compare with their plan, by member id:
 * `missing` (planned, not stored), `unexpected` (stored, not planned),
 * `different` (stored in another slot), `ok`. Sorted by id.
 */
export function compareMembers(
  planned: readonly { id: string; slot: string }[],
  stored: readonly { id: string; slot: string }[],
): DriftEntry[] {
  const storedById = new Map(stored.map((m) => [m.id, m]));
  const entries: DriftEntry[] = [];
  for (const want of planned) {
    const have = storedById.get(want.id);
    storedById.delete(want.id);
    entries.push(
      !have
        ? { id: want.id, state: "missing" }
        : have.slot === want.slot
        ? { id: want.id, state: "ok" }
        : { id: want.id, state: "different", fields: ["slot"] },
    );
  }
  for (const id of storedById.keys()) entries.push({ id, state: "unexpected" });
  return entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function summarize(entries: readonly DriftEntry[]): DriftSummary {
  const summary: DriftSummary = {
    ok: 0,
    missing: 0,
    unexpected: 0,
    different: 0,
  };
  for (const entry of entries) summary[entry.state]++;
  return summary;
}

/** Whether two views of one scope (ledger and QStash) say the same thing. */
export function sameHeld(
  a: readonly HeldWithPause[],
  b: readonly HeldWithPause[],
): boolean {
  if (a.length !== b.length) return false;
  const byId = new Map(b.map((s) => [s.id, s]));
  return a.every((s) => {
    const other = byId.get(s.id);
    return other !== undefined && other.cron === s.cron &&
      other.destination === s.destination && other.body === s.body &&
      other.paused === s.paused;
  });
}
