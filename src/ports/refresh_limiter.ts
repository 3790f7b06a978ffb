export interface LimitResult {
  allowed: boolean;
  /** Seconds until the caller may try again (when not allowed). */
  retryAfter: number;
}

export interface RefreshLimiter {
  limit(userId: string): Promise<LimitResult>;
}
