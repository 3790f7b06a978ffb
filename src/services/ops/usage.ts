import type { AppDeps } from "../../deps.ts";
import { countActiveUsers } from "../../store/preferences/preferences_store.ts";
import { recentDays } from "../../store/metrics/stats_store.ts";

type Deps = Pick<AppDeps, "db">;

/** How many days of stats the stats endpoint returns, newest first. */
const STATS_DAYS = 500;

/** Users with at least one notification type on. */
export function activeUserCount(deps: Deps): Promise<number> {
  return countActiveUsers(deps.db);
}

/** The daily stats the `stats` job recorded. */
export function statsByDay(deps: Deps) {
  return recentDays(deps.db, STATS_DAYS);
}
