import type { ServiceContext } from "../../context.ts";
import { userAudience } from "../../domain/delivery/audience.ts";
import { membershipsOf } from "../../store/notifications/membership_store.ts";
import { countUnread } from "../../store/notifications/notification_store.ts";

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
  ctx: ServiceContext,
  owner: InboxOwner,
): Promise<readonly string[]> {
  return owner.memberships ?? await membershipsOf(ctx.db, owner.userId);
}

/**
 * Counts in libSQL, stamped with the user's channel versions read before
 * the count, so any change racing the count makes the stored value a miss.
 */
async function freshCount(ctx: ServiceContext, owner: InboxOwner) {
  const { userId } = owner;
  const memberships = await membershipsFor(ctx, owner);
  const stamp = await ctx.cache.versions([
    userAudience(userId),
    ...memberships,
  ]);
  const count = await countUnread(ctx.db, userId, ctx.now());
  return { count, stamp };
}

/** The unread count, from Redis when cached, else counted in libSQL. */
export async function unreadCount({ ctx, owner }: {
  ctx: ServiceContext;
  owner: InboxOwner;
}): Promise<number> {
  const cached = await ctx.cache.get(owner.userId);
  if (cached !== null) return cached;
  const { count, stamp } = await freshCount(ctx, owner);
  await ctx.cache.fill(owner.userId, count, stamp);
  return count;
}

/**
 * After a change: counts afresh, stores it over whatever was cached, and
 * pushes it as a `count` event so no client needs to poll.
 */
export async function pushUnreadCount({ ctx, owner }: {
  ctx: ServiceContext;
  owner: InboxOwner;
}): Promise<number> {
  const { count, stamp } = await freshCount(ctx, owner);
  await ctx.cache.put(owner.userId, count, stamp);
  await ctx.channels.publish([{
    to: { kind: "user", name: owner.userId },
    event: { event: "count", data: { unread: count }, ephemeral: true },
  }]);
  return count;
}
