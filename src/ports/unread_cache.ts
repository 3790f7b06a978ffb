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
