import type { WebhookEvent } from "./event_types.ts";

/** What the events of one stored notification say about it. */
export interface NotificationFacts {
  id: string;
  type: string;
  severity: string;
  audiences: readonly string[];
  createdAt: number;
}

/**
 * `notification.created` and `notification.delivered` for a notification
 * just handed to its channels: `live` counts the connections it was
 * written to; `push` counts push messages (none until a push channel
 * exists).
 */
export function notificationEvents(
  n: NotificationFacts,
  liveConnections: number,
): WebhookEvent[] {
  const about = { notificationId: n.id, type: n.type };
  return [
    {
      type: "notification.created",
      data: {
        ...about,
        severity: n.severity,
        audiences: [...n.audiences],
        createdAt: new Date(n.createdAt).toISOString(),
      },
    },
    {
      type: "notification.delivered",
      data: { ...about, channels: { live: liveConnections, push: 0 } },
    },
  ];
}
