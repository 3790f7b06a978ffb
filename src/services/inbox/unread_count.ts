import { userAudience } from "../../domain/delivery/audience.ts";
import type { AppDeps } from "../../deps.ts";
import { membershipsOf } from "../../store/notifications/membership_store.ts";
import { countUnread } from "../../store/notifications/notification_store.ts";

type Deps = Pick<AppDeps, "db" | "cache" | "now">;

/**
 * Whose inbox, and the role and topic channels they belong to when the
 * caller already knows them (a user's request has just synced its token's
 * claims): then nothing reads them again. The channels name the cache
 * versions a count is stamped with; which of the channels' notifications
 * the count includes (those since the user joined) is decided in libSQL
 * (store/held_audiences.ts).
 */
export interface InboxOwner {
  userId: string;
  memberships?: readonly string[];
}

async function membershipsFor(
  deps: Pick<AppDeps, "db">,
  owner: InboxOwner,
): Promise<readonly string[]> {
  return owner.memberships ?? await membershipsOf(deps.db, owner.userId);
}

/**
 * Counts in libSQL, stamped with the user's channel versions read before
 * the count, so any change racing the count makes the stored value a miss.
 */
async function freshCount(deps: Deps, owner: InboxOwner) {
  const { userId } = owner;
  const memberships = await membershipsFor(deps, owner);
  const stamp = await deps.cache.versions([
    userAudience(userId),
    ...memberships,
  ]);
  const count = await countUnread(deps.db, userId, deps.now());
  return { count, stamp };
}

/** The unread count, from Redis when cached, else counted in libSQL. */
export async function unreadCount(
  deps: Deps,
  owner: InboxOwner,
): Promise<number> {
  const cached = await deps.cache.get(owner.userId);
  if (cached !== null) return cached;
  const { count, stamp } = await freshCount(deps, owner);
  await deps.cache.fill(owner.userId, count, stamp);
  return count;
}

/**
 * After a change: counts afresh, stores it over whatever was cached, and
 * pushes it as a `count` event so no client needs to poll.
 */
export async function pushUnreadCount(
  deps: Pick<AppDeps, "db" | "cache" | "channels" | "now">,
  owner: InboxOwner,
): Promise<number> {
  const { count, stamp } = await freshCount(deps, owner);
  await deps.cache.put(owner.userId, count, stamp);
  await deps.channels.publish([{
    to: { kind: "user", name: owner.userId },
    event: { event: "count", data: { unread: count }, ephemeral: true },
  }]);
  return count;
}
