import type { ServiceContext } from "../../context.ts";
import type { CallbackBody } from "../../domain/callbacks/callback_body.ts";
import type { SignatureClaims } from "../../http/qstash_signature.ts";
import type { Logger } from "../../ports/logger.ts";
import type { SchedulerPort } from "../../ports/scheduler.ts";
import { deliverOccurrence } from "../delivery/deliver_occurrence.ts";
import { deliverScheduled } from "../delivery/deliver_scheduled.ts";
import { expireNotification } from "../delivery/expire_notification.ts";
import { closeDigest } from "../delivery/digest_notification.ts";
import { deliverSlotPage } from "../delivery/deliver_slot.ts";
import { deliverWebhook } from "../webhooks/deliver_webhook.ts";
import { sendPushes } from "../push/send_pushes.ts";
import { pushMemberPage } from "../push/push_members.ts";
import { handleSystemCallback } from "./handle_system_callback.ts";

/** What QStash's headers say about the message being delivered. */
export interface CallbackMessage {
  messageId: string | null;
  scheduleId: string | null;
  /** `Upstash-Retried`: 0 on a first attempt. */
  retried: number;
  /** What the verified signature says about itself (its id, its expiry). */
  signed: SignatureClaims;
}

/**
 * The one place a QStash callback's parsed body goes: a user's occurrence,
 * a slot's firing or page, an event webhook's attempt, or a system callback. Its answer is the route's
 * 200 body.
 */
export async function dispatchCallback({ ctx, body, message }: {
  ctx: ServiceContext;
  body: CallbackBody;
  message: CallbackMessage;
}): Promise<Record<string, unknown>> {
  switch (body.kind) {
    case "user-schedule":
    case "deferred":
      return await deliverOccurrence({
        ctx,
        body,
        via: {
          scheduleId: message.scheduleId,
          firedAt: await firedAt({ ctx, message }),
        },
      });
    case "slot":
    case "slot-page":
      return {
        ...await deliverSlotPage({
          ctx,
          body,
          via: {
            firedAt: () => firedAt({ ctx, message }),
          },
        }),
      };
    case "webhook":
      return await deliverWebhook({
        ctx,
        body,
        message: { retried: message.retried },
      });
    case "push":
      return { ...await sendPushes({ ctx, body }) };
    case "member-push":
      return { ...await pushMemberPage({ ctx, ref: body }) };
    case "scheduled-send":
      return await deliverScheduled({ ctx, body });
    case "digest-close":
      return await closeDigest({ ctx, digestId: body.digestId });
    case "notification-expiry":
      return await expireNotification({
        ctx,
        notificationId: body.notificationId,
      });
    default:
      return await handleSystemCallback({ ctx, body, message });
  }
}

/**
 * When the schedule behind a message fired: the rule for every callback. A
 * first attempt arrives within moments of it, so its arrival names it; a
 * retry (a minute, a night or a day later) asks QStash when it made the
 * message — that is the firing. When QStash cannot say, the arrival it is.
 */
export async function firedAt({ ctx, message }: {
  ctx: {
    now: () => number;
    scheduler: Pick<SchedulerPort, "messageCreatedAt">;
    log: Pick<Logger, "warn">;
  };
  message: { messageId: string | null; retried: number };
}): Promise<number> {
  if (message.retried === 0 || message.messageId === null) return ctx.now();
  try {
    return await ctx.scheduler.messageCreatedAt(message.messageId) ??
      ctx.now();
  } catch {
    ctx.log.warn("callback.firing_unknown", {
      reason: "QStash did not answer",
    });
    return ctx.now();
  }
}
