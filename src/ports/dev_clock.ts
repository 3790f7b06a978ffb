/**
 * Herald's clock in the local stack (`DEV_CLOCK=qstash`): real time plus the
 * QStash dev server's offset, so advancing that server's virtual clock by a
 * week plays a week of Herald too — occurrence dates, quiet hours, leases
 * and retry times all follow. The dev server tells each follower when its
 * clock jumps (`POST /v1/dev/clock`, signed like a delivery); an isolate
 * that starts registers first and takes the time it is given. Tokens are
 * still issued and checked on the wall clock: every JWT verifier checks
 * `exp` against real time.
 */
export interface DevClock {
  now(): number;
  /** Adopts the virtual time the dev server announced. */
  set(virtualNow: number): void;
  /**
   * Registers with the dev server once per isolate and takes its time;
   * resolves at once after that. A failed registration is tried again by
   * the next caller.
   */
  follow(): Promise<void>;
}
