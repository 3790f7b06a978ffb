import { z } from "zod";
import { LOCAL_TIME_PATTERN } from "../time/local_time.ts";

const localTime = z.string().regex(LOCAL_TIME_PATTERN);
const slot = z.string().regex(/^(?:[01]\d|2[0-3])[0-5]\d$/);
const localDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

/**
 * What Herald puts in the bodies of its own schedules and messages, parsed
 * on the way back in (after the signature check) — never cast.
 */
export const callbackBodySchema = z.discriminatedUnion("kind", [
  // A user's recurring schedule fired.
  z.object({
    kind: z.literal("user-schedule"),
    userId: z.string().min(1),
    type: z.string().min(1),
    localTime,
  }),
  // An occurrence held back by quiet hours, now due.
  z.object({
    kind: z.literal("deferred"),
    userId: z.string().min(1),
    type: z.string().min(1),
    localDate,
    localTime,
  }),
  // A slot's schedule fired (shared placement; domain/slot_plan.ts).
  z.object({ kind: z.literal("slot"), slot }),
  // The next page of a slot's firing: its members after `after`.
  z.object({
    kind: z.literal("slot-page"),
    slot,
    firedAt: z.number().int(),
    after: z.string().min(1),
  }),
  // A system job's schedule fired, or a start-up run was queued.
  z.object({
    kind: z.literal("job-run"),
    jobId: z.string().min(1),
    trigger: z.enum(["schedule", "startup"]).default("schedule"),
  }),
  // One page of a fan-out job's run: the active users after `after`.
  z.object({
    kind: z.literal("job-page"),
    jobId: z.string().min(1),
    runId: z.string().min(1),
    page: z.number().int().min(0),
    after: z.string().nullable(),
  }),
  // One user of a fan-out job's run.
  z.object({
    kind: z.literal("job-user"),
    jobId: z.string().min(1),
    runId: z.string().min(1),
    userId: z.string().min(1),
  }),
  // The next pages of a restart, stop or start.
  z.object({
    kind: z.literal("scheduler-op"),
    operationId: z.string().min(1),
  }),
  // One instant of a `deliverAt` send (services/delivery/deliver_scheduled.ts).
  z.object({
    kind: z.literal("scheduled-send"),
    sendId: z.string().min(1),
    key: z.string().min(1),
  }),
  // A notification's expiry came (services/delivery/expire_notification.ts).
  z.object({
    kind: z.literal("notification-expiry"),
    notificationId: z.string().min(1),
  }),
  // A digest's window ended (services/delivery/digest_notification.ts).
  z.object({ kind: z.literal("digest-close"), digestId: z.string().min(1) }),
  // One event for one endpoint (services/webhooks/deliver_webhook.ts).
  z.object({
    kind: z.literal("webhook"),
    endpointId: z.string().min(1),
    messageId: z.string().min(1),
    eventId: z.string().min(1),
    type: z.string().min(1),
    timestamp: z.string().min(1),
    data: z.record(z.string(), z.unknown()),
  }),
  // One page of a role's or topic's pushes (services/push/push_members.ts):
  // the members after `after` of its `channel`-th channel; `live` and
  // `queued` carry what its `notification.delivered` will say.
  z.object({
    kind: z.literal("member-push"),
    notificationId: z.string().min(1),
    channel: z.number().int().min(0),
    after: z.string().min(1).nullable(),
    page: z.number().int().min(0),
    live: z.number().int().min(0),
    queued: z.number().int().min(0),
  }),
  // A batch of Web Pushes: each a notification for one user's device
  // (services/push/send_pushes.ts); `attempt` 0 first, more on a retry.
  z.object({
    kind: z.literal("push"),
    attempt: z.number().int().min(0),
    items: z.array(z.object({
      notificationId: z.string().min(1),
      userId: z.string().min(1),
      endpoint: z.string().min(1),
      /** False after a 413: the title alone. */
      withBody: z.boolean(),
    })).min(1).max(100),
  }),
]);

export type CallbackBody = z.infer<typeof callbackBodySchema>;
/** The kinds that are a user's occurrence (deliver_occurrence.ts). */
export type OccurrenceBody = Extract<
  CallbackBody,
  { kind: "user-schedule" | "deferred" }
>;
/** The kinds that are a slot's firing (deliver_slot.ts). */
export type SlotBody = Extract<CallbackBody, { kind: "slot" | "slot-page" }>;
/** An event webhook's delivery to one endpoint. */
export type WebhookBody = Extract<CallbackBody, { kind: "webhook" }>;
/** A batch of Web Pushes. */
export type PushBody = Extract<CallbackBody, { kind: "push" }>;
/** A page of a broadcast's member pushes. */
export type MemberPushBody = Extract<CallbackBody, { kind: "member-push" }>;
/** One instant of a `deliverAt` send. */
export type ScheduledSendBody = Extract<
  CallbackBody,
  { kind: "scheduled-send" }
>;
/** A notification's expiry. */
export type ExpiryBody = Extract<CallbackBody, { kind: "notification-expiry" }>;
/** A digest's window end. */
export type DigestCloseBody = Extract<CallbackBody, { kind: "digest-close" }>;
/** The kinds that belong to system jobs and scheduler operations. */
export type SystemBody = Exclude<
  CallbackBody,
  | OccurrenceBody
  | SlotBody
  | WebhookBody
  | PushBody
  | MemberPushBody
  | ScheduledSendBody
  | ExpiryBody
  | DigestCloseBody
>;

/** The next page of a slot's firing, as a message body. */
export function slotPageBody(
  p: { slot: string; firedAt: number; after: string },
): string {
  return JSON.stringify({
    kind: "slot-page",
    slot: p.slot,
    firedAt: p.firedAt,
    after: p.after,
  });
}

export function operationBody(operationId: string): string {
  return JSON.stringify({ kind: "scheduler-op", operationId });
}

/** A stable JSON body (key order fixed) for a deferred occurrence. */
export function deferredBody(o: {
  userId: string;
  type: string;
  localDate: string;
  localTime: string;
}): string {
  return JSON.stringify({
    kind: "deferred",
    userId: o.userId,
    type: o.type,
    localDate: o.localDate,
    localTime: o.localTime,
  });
}

/** The message body that delivers one instant of a send. */
export function scheduledSendBody(p: { sendId: string; key: string }): string {
  return JSON.stringify({
    kind: "scheduled-send",
    sendId: p.sendId,
    key: p.key,
  });
}

/** The message body due when a notification expires. */
export function notificationExpiryBody(notificationId: string): string {
  return JSON.stringify({ kind: "notification-expiry", notificationId });
}

/** The message body due when a digest's window ends. */
export function digestCloseBody(digestId: string): string {
  return JSON.stringify({ kind: "digest-close", digestId });
}
