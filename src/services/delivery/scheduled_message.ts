import type { ServiceContext } from "../../context.ts";
import { scheduledSendBody } from "../../domain/callbacks/callback_body.ts";
import type { MessageSpec } from "../../ports/scheduler.ts";
import type { NewInstant } from "../../store/notifications/scheduled_store.ts";

/**
 * The QStash message that delivers one instant of a send: due at the
 * instant (at once when it is now), deduplicated by send and instant so a
 * retried publish sends nothing twice, and labelled the same, so a cancel
 * removes the messages of exactly the instants it cancelled.
 */
export function scheduledMessage({ ctx, m }: {
  ctx: Pick<ServiceContext, "config">;
  m: { sendId: string; instant: Pick<NewInstant, "key" | "at">; now: number };
}): MessageSpec {
  const name = instantMessageName(m.sendId, m.instant.key);
  return {
    destination: ctx.config.callbackUrl,
    body: scheduledSendBody({ sendId: m.sendId, key: m.instant.key }),
    ...(m.instant.at > m.now ? { notBefore: m.instant.at } : {}),
    deduplicationId: name,
    label: name,
  };
}

/** An instant's key within its send: its time (base36 ms), unique per send. */
export function instantKey(at: number): string {
  return `i${at.toString(36)}`;
}

/** One instant's message: its deduplication id and its label. */
export function instantMessageName(sendId: string, key: string): string {
  return `sch-${sendId}-${key}`;
}
