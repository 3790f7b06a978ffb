import type { ServiceContext } from "../../context.ts";
import { countActiveUsers } from "../../store/preferences/preferences_store.ts";
import { recentDays } from "../../store/metrics/stats_store.ts";

/** How many days of stats the stats endpoint returns, newest first. */
const STATS_DAYS = 500;

/** Users with at least one notification type on. */
export function activeUserCount({
  ctx,
}: { ctx: ServiceContext }): Promise<number> {
  return countActiveUsers(ctx.db);
}

/** The daily stats the `stats` job recorded. */
export function statsByDay({ ctx }: { ctx: ServiceContext }) {
  return recentDays(ctx.db, STATS_DAYS);
}
