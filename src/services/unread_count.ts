import { userAudiences } from "../domain/notification.ts";
import type { AppDeps } from "../deps.ts";
import { membershipsOf } from "../ports/membership_store.ts";
import { countUnread } from "../ports/notification_store.ts";

type Deps = Pick<AppDeps, "db" | "cache">;

/** The channels whose notifications make up a user's inbox. */
export async function audiencesOfUser(
  deps: Pick<AppDeps, "db">,
  userId: string,
): Promise<string[]> {
  return userAudiences(userId, await membershipsOf(deps.db, userId));
}

/**
 * Counts in libSQL, stamped with the user's channel versions read before
 * the count, so any change racing the count makes the stored value a miss.
 */
async function freshCount(deps: Deps, userId: string) {
  const memberships = await membershipsOf(deps.db, userId);
  const stamp = await deps.cache.versions([`user:${userId}`, ...memberships]);
  const count = await countUnread(
    deps.db,
    userId,
    userAudiences(userId, memberships),
  );
  return { count, stamp };
}

/** The unread count, from Redis when cached, else counted in libSQL. */
export async function unreadCount(deps: Deps, userId: string): Promise<number> {
  const cached = await deps.cache.get(userId);
  if (cached !== null) return cached;
  const { count, stamp } = await freshCount(deps, userId);
  await deps.cache.fill(userId, count, stamp);
  return count;
}

/**
 * After a change: counts afresh, stores it over whatever was cached, and
 * pushes it as a `count` event so no client needs to poll.
 */
export async function pushUnreadCount(
  deps: Pick<AppDeps, "db" | "cache" | "channels">,
  userId: string,
): Promise<number> {
  const { count, stamp } = await freshCount(deps, userId);
  await deps.cache.put(userId, count, stamp);
  await deps.channels.publish({ kind: "user", name: userId }, {
    event: "count",
    data: { unread: count },
  });
  return count;
}
