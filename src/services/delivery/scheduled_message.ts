import { scheduledSendBody } from "../../domain/callbacks/callback_body.ts";
import type { AppDeps } from "../../deps.ts";
import type { MessageSpec } from "../../ports/scheduler.ts";
import type { NewInstant } from "../../store/notifications/scheduled_store.ts";

/**
 * The QStash message that delivers one instant of a send: due at the
 * instant (at once when it is now), deduplicated by send and instant so a
 * retried publish sends nothing twice.
 */
export function scheduledMessage(
  deps: Pick<AppDeps, "config">,
  m: { sendId: string; instant: Pick<NewInstant, "key" | "at">; now: number },
): MessageSpec {
  return {
    destination: deps.config.callbackUrl,
    body: scheduledSendBody({ sendId: m.sendId, key: m.instant.key }),
    ...(m.instant.at > m.now ? { notBefore: m.instant.at } : {}),
    deduplicationId: `sch-${m.sendId}-${m.instant.key}`,
  };
}
