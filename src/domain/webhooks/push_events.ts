import type { WebhookEvent } from "./event_types.ts";

/**
 * Why a push subscription was removed: the push service answered 404 or
 * 410, the cron sweep found it past its `expirationTime` or unseen for 60
 * days (`expired`), or a write replaced it — the 21st device of a user
 * replacing the least recently seen, or an `oldEndpoint` rotation.
 */
export type SubscriptionRemovedReason = "404" | "410" | "expired" | "replaced";

/** What a removed subscription was: never its keys nor its endpoint's path. */
export interface RemovedDevice {
  userId: string;
  endpoint: string;
  label: string | null;
}

/**
 * `push.subscription.removed`, one per device. The endpoint's path is a
 * capability (whoever holds it can address the device), so only its origin
 * — which push service — is said.
 */
export function subscriptionRemovedEvents(
  devices: readonly RemovedDevice[],
  reason: SubscriptionRemovedReason,
): WebhookEvent[] {
  return devices.map((d) => ({
    type: "push.subscription.removed",
    data: {
      userId: d.userId,
      endpointOrigin: new URL(d.endpoint).origin,
      label: d.label,
      reason,
    },
  }));
}
