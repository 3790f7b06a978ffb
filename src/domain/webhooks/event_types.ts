import { z } from "zod";

/**
 * Every event Herald can send to an endpoint. `schedule.sent` is an
 * instant of a `deliverAt` send delivered or cancelled
 * (services/delivery/deliver_scheduled.ts, schedule_send.ts).
 */
export const WEBHOOK_EVENT_TYPES = [
  "notification.created",
  "notification.delivered",
  "notification.read",
  "notification.expired",
  "preferences.updated",
  "push.subscription.removed",
  "job.run.completed",
  "job.run.failed",
  "schedule.sent",
  "webhook.test",
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** What an event says; never a secret, a token or a push key. */
export interface WebhookEvent {
  type: WebhookEventType;
  data: Record<string, unknown>;
}

const KNOWN = new Set<string>(WEBHOOK_EVENT_TYPES);

/** An endpoint's filter: event names, or `"*"` for every event. */
export const eventFilterSchema = z.array(
  z.string().refine((name) => name === "*" || KNOWN.has(name), {
    error: (issue) =>
      `Unknown event "${String(issue.input)}" (one of ${
        WEBHOOK_EVENT_TYPES.join(", ")
      }, or "*")`,
  }),
).min(1, 'List at least one event, or "*"').max(WEBHOOK_EVENT_TYPES.length + 1)
  .transform((names) => [...new Set(names)]);

/** Whether an endpoint with this filter wants `type`. */
export function filterWants(filter: readonly string[], type: string): boolean {
  return filter.includes("*") || filter.includes(type);
}
