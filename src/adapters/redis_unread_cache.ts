import { userAudience } from "../domain/delivery/audience.ts";
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

/**
 * Version bumps that failed (Redis unreachable) and are still owed: counts
 * cached before the outage would otherwise read fresh once Redis is back,
 * until their TTL. Lives as long as the process or isolate, not the
 * request; bounded, since the TTL heals whatever it has to drop.
 */
export class MissedBumps {
  static readonly MAX = 10_000;
  #channels = new Set<string>();

  add(channels: readonly string[]): void {
    for (const c of channels) {
      if (this.#channels.size >= MissedBumps.MAX) return;
      this.#channels.add(c);
    }
  }

  /** The owed bumps, handed over: `add` them back if paying fails. */
  take(): string[] {
    const owed = [...this.#channels];
    this.#channels.clear();
    return owed;
  }
}

export function createUnreadCache(
  redis: Redis | null,
  log: Logger,
  missed: MissedBumps,
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
  /**
   * Pays owed bumps before any other call, so the first read after an
   * outage already misses a count cached before it; `more` are this
   * call's own. False while Redis is still unreachable (all stay owed).
   */
  async function settled(more: readonly string[] = []): Promise<boolean> {
    const owed = [...missed.take(), ...more];
    if (!owed.length) return true;
    const p = client.pipeline();
    for (const c of owed) p.incr(versionKey(c));
    try {
      await p.exec();
      return true;
    } catch {
      missed.add(owed);
      failed("bump");
      return false;
    }
  }
  async function versions(
    channels: readonly string[],
  ): Promise<Versions | null> {
    if (!channels.length) return {};
    if (!await settled()) return null;
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
    // A writer's count that cannot be stored leaves the old one behind: its
    // invalidation is owed until Redis answers. A reader's is merely lost.
    const owe = () => {
      if (!nx) missed.add([userAudience(userId)]);
    };
    if (stamp === null) return owe(); // versions unknown: caching could serve a stale count
    if (!await settled()) return owe();
    const value = JSON.stringify({ n: count, v: stamp });
    try {
      if (nx) {
        await client.set(countKey(userId), value, {
          ex: TTL_SECONDS,
          nx: true,
        });
      } else await client.set(countKey(userId), value, { ex: TTL_SECONDS });
    } catch {
      owe();
      failed(nx ? "fill" : "put");
    }
  }
  async function bump(channels: readonly string[]): Promise<void> {
    if (!channels.length) return;
    await settled(channels);
  }
  return {
    versions,
    async get(userId) {
      if (!await settled()) return null;
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
    invalidate: (userIds) => bump(userIds.map(userAudience)),
    bump,
  };
}
