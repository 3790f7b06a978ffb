import type { Redis } from "@upstash/redis";
import { z } from "zod";
import type { Logger } from "../ports/logger.ts";
import type { UnreadCache, Versions } from "../ports/unread_cache.ts";

// Short, so a count left stale by a write made while Redis was unreachable
// heals soon after it returns.
const TTL_SECONDS = 60;
const countKey = (userId: string) => `herald:unread:${userId}`;
const versionKey = (channel: string) => `herald:aver:${channel}`;

const cached = z.object({
  n: z.number().int().min(0),
  v: z.record(z.string(), z.number().int()),
});

export function createUnreadCache(
  redis: Redis | null,
  log: Logger,
): UnreadCache {
  if (!redis) {
    const none = () => Promise.resolve(null);
    const nothing = () => Promise.resolve();
    return {
      versions: none,
      get: none,
      put: nothing,
      fill: nothing,
      invalidate: nothing,
      bump: nothing,
    };
  }
  const client: Redis = redis;
  const failed = (op: string) => {
    log.warn("cache.unavailable", { op });
  };
  async function versions(
    channels: readonly string[],
  ): Promise<Versions | null> {
    if (!channels.length) return {};
    try {
      const values = await client.mget<(number | null)[]>(
        ...channels.map(versionKey),
      );
      return Object.fromEntries(
        channels.map((c, i) => [c, Number(values[i] ?? 0)]),
      );
    } catch {
      failed("versions");
      return null;
    }
  }
  async function store(
    userId: string,
    count: number,
    stamp: Versions | null,
    nx: boolean,
  ) {
    if (stamp === null) return; // versions unknown: caching could serve a stale count
    const value = JSON.stringify({ n: count, v: stamp });
    try {
      if (nx) {
        await client.set(countKey(userId), value, {
          ex: TTL_SECONDS,
          nx: true,
        });
      } else await client.set(countKey(userId), value, { ex: TTL_SECONDS });
    } catch {
      failed(nx ? "fill" : "put");
    }
  }
  async function bump(channels: readonly string[]): Promise<void> {
    if (!channels.length) return;
    const p = client.pipeline();
    for (const c of channels) p.incr(versionKey(c));
    await p.exec().then(() => {}, () => failed("bump"));
  }
  return {
    versions,
    async get(userId) {
      try {
        const parsed = cached.safeParse(await client.get(countKey(userId)));
        if (!parsed.success) return null;
        const channels = Object.keys(parsed.data.v);
        const now = await versions(channels);
        if (now === null) return null;
        const fresh = channels.every((c) => now[c] === parsed.data.v[c]);
        return fresh ? parsed.data.n : null;
      } catch {
        failed("get");
        return null;
      }
    },
    put: (userId, count, stamp) => store(userId, count, stamp, false),
    fill: (userId, count, stamp) => store(userId, count, stamp, true),
    invalidate: (userIds) => bump(userIds.map((id) => `user:${id}`)),
    bump,
  };
}
