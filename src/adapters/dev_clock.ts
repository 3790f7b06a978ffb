import { z } from "zod";
import type { DevClock } from "../ports/dev_clock.ts";

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
