import { channelName } from "../../domain/delivery/channel.ts";
import type { AppDeps } from "../../deps.ts";
import {
  membershipsOf,
  replaceMemberships,
} from "../../store/notifications/membership_store.ts";

/** The role and topic channels a token's claims name, sorted. */
export function claimedChannels(
  roles: readonly string[],
  topics: readonly string[],
): string[] {
  return [
    ...new Set([
      ...roles.map((name) => channelName({ kind: "role", name })),
      ...topics.map((name) => channelName({ kind: "topic", name })),
    ]),
  ].sort();
}

/**
 * Records what the user's token says they hold, so their inbox includes
 * broadcasts and a broadcast refreshes their count. Writes only on change:
 * a channel named for the first time is joined now (its earlier broadcasts
 * are not theirs), one no longer named is left.
 */
export async function syncMemberships(
  deps: Pick<AppDeps, "db" | "cache" | "now">,
  userId: string,
  channels: readonly string[],
): Promise<void> {
  const current = await membershipsOf(deps.db, userId);
  if (current.join("\n") === channels.join("\n")) return;
  await replaceMemberships(deps.db, userId, channels, deps.now());
  // Their inbox just changed shape: the cached count is wrong now.
  await deps.cache.invalidate([userId]);
}
