import type { ServiceContext } from "../../context.ts";
import {
  addDays,
  localParts,
  zonedInstant,
} from "../../domain/time/zoned_time.ts";
import {
  countDay,
  saveDay,
  type TypeCounts,
} from "../../store/metrics/stats_store.ts";

export interface StatsResult {
  day: string;
  timezone: string;
  types: Record<string, TypeCounts>;
  total: TypeCounts;
}

/**
 * The `stats` built-in: counts one local day's notifications sent and read,
 * per type, stores them (a re-run replaces the day) and returns them. The
 * day is the job's zone's, so "yesterday" at 00:00 in that zone is the day
 * that just ended there.
 */
export async function runStats({ ctx, which, timezone }: {
  ctx: ServiceContext;
  which: "yesterday" | "today";
  timezone: string;
}): Promise<StatsResult> {
  const today = localParts(ctx.now(), timezone).date;
  const day = which === "today" ? today : addDays(today, -1);
  const start = zonedInstant(day, "00:00", timezone);
  const end = zonedInstant(addDays(day, 1), "00:00", timezone);
  const counts = await countDay(ctx.db, start, end);
  await saveDay(ctx.db, day, counts, ctx.now());
  const total = { sent: 0, read: 0 };
  for (const c of counts.values()) {
    total.sent += c.sent;
    total.read += c.read;
  }
  return {
    day,
    timezone,
    types: Object.fromEntries([...counts].sort(([a], [b]) => a < b ? -1 : 1)),
    total,
  };
}
