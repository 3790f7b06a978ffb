import { fnv1a32 } from "../../domain/codecs/fnv1a.ts";

/**
 * The one placement function: which shard object serves a user's
 * connections. A shard holds many users' connections, so a broadcast to a
 * role or topic costs one request per shard — never one per member — and a
 * user's event wakes one object. Every connection of a user lands in the
 * same shard (a hash of the user id), so its cursor stays valid across
 * reconnects; changing the number of shards moves users, and their next
 * reconnect gets a `reset` (refetch the inbox), never a wrong replay.
 */
export function shardOf(userId: string, shards: number): string {
  return `shard:${fnv1a32(userId) % shards}`;
}

/** Every shard's name: where a broadcast goes. */
export function allShards(shards: number): string[] {
  return Array.from({ length: shards }, (_, k) => `shard:${k}`);
}
