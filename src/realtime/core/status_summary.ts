import type { RealtimeStatus } from "../../ports/channels.ts";
import type { ShardStatus } from "./shard_protocol.ts";

/** The status route's view of every shard: totals, and audiences merged. */
export function summarize(shards: readonly ShardStatus[]): RealtimeStatus {
  const audiences = new Map<string, number>();
  for (const shard of shards) {
    for (const [name, n] of Object.entries(shard.audiences)) {
      audiences.set(name, (audiences.get(name) ?? 0) + n);
    }
  }
  return {
    shards: shards.map((s) => ({
      name: s.name,
      connections: s.connections,
      sse: s.sse,
      websocket: s.ws,
      logSize: s.logSize,
      lastSeq: s.lastSeq,
      wakes: s.wakes,
    })),
    channels: [...audiences]
      .sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
      .map(([name, subscribers]) => ({ name, subscribers })),
    subscribers: shards.reduce((sum, s) => sum + s.connections, 0),
  };
}
