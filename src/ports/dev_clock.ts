import { z } from "zod";

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

const followAnswer = z.object({ now: z.number() });

/** Where the dev server reaches a deployment's clock (`routes/dev_clock.ts`). */
export function devClockUrl(publicUrl: string): string {
  return `${publicUrl}/v1/dev/clock`;
}

export function createDevClock(
  qstash: { url: string; token: string },
  publicUrl: string,
): DevClock {
  const followerUrl = devClockUrl(publicUrl);
  let offsetMs = 0;
  let following: Promise<void> | null = null;
  const set = (virtualNow: number) => {
    offsetMs = virtualNow - Date.now();
  };
  return {
    now: () => Date.now() + offsetMs,
    set,
    follow() {
      following ??= (async () => {
        const response = await fetch(`${qstash.url}/v2/dev/clock/followers`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${qstash.token}`,
            "content-type": "application/json",
          },
          body: JSON.stringify({ url: followerUrl }),
        });
        if (!response.ok) {
          await response.body?.cancel();
          throw new Error(`dev clock: QStash answered ${response.status}`);
        }
        set(followAnswer.parse(await response.json()).now);
      })().catch((error) => {
        following = null;
        throw error;
      });
      return following;
    },
  };
}
