import type { ChannelCounts } from "../delivery/notification.ts";
import type { WebhookEvent } from "./event_types.ts";

/** What the events of one stored notification say about it. */
export interface NotificationFacts {
  id: string;
  type: string;
  severity: string;
  audiences: readonly string[];
  createdAt: number;
}

/** `notification.created`, for a notification just handed to its channels. */
export function notificationCreated(n: NotificationFacts): WebhookEvent {
  return {
    type: "notification.created",
    data: {
      notificationId: n.id,
      type: n.type,
      severity: n.severity,
      audiences: [...n.audiences],
      createdAt: new Date(n.createdAt).toISOString(),
    },
  };
}

/**
 * `notification.delivered`, once its channels have it: `live` counts the
 * connections its publish was written to, `push` the Web Pushes queued for
 * it (handed to QStash — sent at once, or at the end of a user's quiet
 * hours; whether each push service accepted one is counted later, in the
 * inbox's `channels`).
 */
export function notificationDelivered(
  n: Pick<NotificationFacts, "id" | "type">,
  channels: ChannelCounts,
): WebhookEvent {
  return {
    type: "notification.delivered",
    data: {
      notificationId: n.id,
      type: n.type,
      channels: { live: channels.live, push: channels.push },
    },
  };
}
