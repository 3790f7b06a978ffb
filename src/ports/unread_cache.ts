import type { Redis } from "@upstash/redis";
import { z } from "zod";
import type { Logger } from "./logger.ts";

/**
 * Unread counts cached in Redis. Redis only accelerates: every failure is
 * logged and reads as a miss, so counts come from libSQL (correct, slower).
 *
 * Every change bumps a version: the user's own channel's for a direct change,
 * the role's or topic's for a broadcast (one INCR however many members). A
 * cached count carries the versions of its user's channels as they were
 * BEFORE it was counted, and is a miss once any of them moved — so a count
 * taken before a change is never served after it, however writers race.
 */
export interface UnreadCache {
  /** Versions to stamp a count with: read them BEFORE counting. */
  versions(channels: readonly string[]): Promise<Versions | null>;
  get(userId: string): Promise<number | null>;
  /** A writer's fresh count, after its change committed: overwrites. */
  put(userId: string, count: number, stamp: Versions | null): Promise<void>;
  /**
   * A reader's count after a miss: stored only if no writer stored one
   * meanwhile, so a read that raced a change cannot cache the old count.
   */
  fill(userId: string, count: number, stamp: Versions | null): Promise<void>;
  /** A direct change to these users' inboxes. */
  invalidate(userIds: readonly string[]): Promise<void>;
  /** A broadcast to these role/topic channels. */
  bump(channels: readonly string[]): Promise<void>;
}

export type Versions = Record<string, number>;

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
