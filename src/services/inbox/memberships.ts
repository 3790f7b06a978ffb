import type { ServiceContext } from "../../context.ts";
import { formatAudience } from "../../domain/delivery/audience.ts";
import {
  joinTimesOf,
  replaceMemberships,
} from "../../store/notifications/membership_store.ts";

/** The role and topic channels a token's claims name, sorted. */
export function claimedChannels(
  roles: readonly string[],
  topics: readonly string[],
): string[] {
  return [
    ...new Set([
      ...roles.map((name) => formatAudience({ kind: "role", name })),
      ...topics.map((name) => formatAudience({ kind: "topic", name })),
    ]),
  ].sort();
}

/**
 * Records what the user's token says they hold, so their inbox includes
 * broadcasts and a broadcast refreshes their count. Writes only on change:
 * a channel named for the first time is joined now (its earlier broadcasts
 * are not theirs), one no longer named is left. Answers when each of
 * `channels` was joined — what a stream replays of it starts there.
 */
export async function syncMemberships({ ctx, userId, channels }: {
  ctx: ServiceContext;
  userId: string;
  channels: readonly string[];
}): Promise<Record<string, number>> {
  const current = await joinTimesOf(ctx.db, userId);
  if ([...current.keys()].join("\n") === channels.join("\n")) {
    return Object.fromEntries(current);
  }
  const now = ctx.now();
  await replaceMemberships(ctx.db, userId, channels, now);
  // Their inbox just changed shape: the cached count is wrong now.
  await ctx.cache.invalidate([userId]);
  // A channel another request joined meanwhile keeps that earlier time;
  // `now` is later, so a stream replays less of it, never more.
  return Object.fromEntries(
    channels.map((channel) => [channel, current.get(channel) ?? now]),
  );
}
