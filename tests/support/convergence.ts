import type { Client, Schedule } from "@upstash/qstash";
import {
  planUserSchedules,
  scheduleOwner,
} from "../../src/domain/schedules/schedule_plan.ts";
import { preferencesView, read } from "./bodies.ts";

/**
 * Whether QStash holds exactly what users' stored preferences ask for —
 * read from Herald's API and from QStash with the official client, never
 * from Herald's database — so tests and benchmarks can tell a write that
 * converged from one that was lost or left an orphan behind. Per-user
 * schedules only: stacks that use it set SCHEDULE_PLACEMENT=per-user.
 */
export interface Herald {
  /** The Worker's base URL (callbacks go to `<url>/v1/qstash/callback`). */
  url: string;
  admin(path: string, init?: RequestInit): Promise<Response>;
}

export interface Convergence {
  /**
   * Users some of whose wanted schedules QStash lacks or holds otherwise:
   * notifications that would be lost or wrong.
   */
  divergent: string[];
  /**
   * Schedules of these users that their preferences no longer ask for.
   * They cost a schedule each but notify nobody (a delivery for a time
   * removed is skipped); restart deletes them.
   */
  orphans: string[];
}

export async function convergence(
  herald: Herald,
  qstash: Client,
  userIds: readonly string[],
): Promise<Convergence> {
  const held = new Map<string, Schedule[]>();
  for (const schedule of await qstash.schedules.list()) {
    const owner = scheduleOwner(schedule.scheduleId)?.userId;
    if (owner === undefined) continue;
    held.set(owner, [...(held.get(owner) ?? []), schedule]);
  }
  const result: Convergence = { divergent: [], orphans: [] };
  for (const userId of userIds) {
    const view = await read(
      await herald.admin(`/v1/users/${encodeURIComponent(userId)}/preferences`),
      preferencesView,
    );
    // A user who never saved (version 0, defaults shown) has no schedules.
    const want = view.version === 0 ? [] : planUserSchedules(
      userId,
      view.preferences,
      { destination: `${herald.url}/v1/qstash/callback` },
    );
    const have = new Map(
      (held.get(userId) ?? []).map((s) => [s.scheduleId, s]),
    );
    const kept = want.every((s) => {
      const h = have.get(s.id);
      return h?.cron === s.cron && h.body === s.body;
    });
    if (!kept) result.divergent.push(userId);
    const wanted = new Set(want.map((s) => s.id));
    for (const id of have.keys()) if (!wanted.has(id)) result.orphans.push(id);
  }
  return result;
}
