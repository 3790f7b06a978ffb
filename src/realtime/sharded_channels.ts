import { fnv1a32 } from "../domain/fnv1a.ts";
import type {
  ChannelRef,
  ChannelsPort,
  PublishedEvent,
  PublishResult,
  StreamRequest,
} from "../ports/channels.ts";

/**
 * Each channel caps its live subscribers (a Durable Object serves about a
 * thousand requests a second, and every subscriber is an open request), so
 * a role or topic with more live members than that would turn the rest
 * away. Their channels are therefore split into shards: a user's streams
 * always join the same shard (by a hash of the user id, so a reconnect
 * resumes from the same log), and a broadcast is published to every shard.
 * User channels are never split. The split lives here, over any
 * ChannelsPort, so callers keep naming plain roles and topics.
 */
const DEFAULT_BROADCAST_SHARDS = 8;

export function shardOf(userId: string, shards: number): number {
  return fnv1a32(userId) % shards;
}

function shardRef(ref: ChannelRef, shard: number): ChannelRef {
  return { kind: ref.kind, name: `${ref.name}#${shard}` };
}

export function shardBroadcasts(
  inner: ChannelsPort,
  shards = DEFAULT_BROADCAST_SHARDS,
): ChannelsPort {
  if (!Number.isSafeInteger(shards) || shards < 1) {
    throw new RangeError(`Broadcast shards must be ≥ 1, got "${shards}"`);
  }
  return {
    async publish(
      ref: ChannelRef,
      event: PublishedEvent,
    ): Promise<PublishResult> {
      if (ref.kind === "user") return await inner.publish(ref, event);
      const results = await Promise.all(
        Array.from(
          { length: shards },
          (_, s) => inner.publish(shardRef(ref, s), event),
        ),
      );
      return {
        // Shards number their events independently; the first speaks for all.
        seq: results[0]?.seq ?? 0,
        duplicate: results.every((r) => r.duplicate),
        delivered: results.reduce((sum, r) => sum + r.delivered, 0),
      };
    },
    openStream(req: StreamRequest): Promise<Response> {
      const user = req.channels.find((c) => c.kind === "user")?.name ?? "";
      const shard = shardOf(user, shards);
      return inner.openStream({
        ...req,
        channels: req.channels.map((c) =>
          c.kind === "user" ? c : shardRef(c, shard)
        ),
      });
    },
    status: () => inner.status(),
  };
}
