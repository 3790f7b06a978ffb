import { parsePayload } from "./stream_events.ts";
import { heraldUrl } from "./herald_url.ts";

/**
 * What the page and the service worker share about a device's
 * subscription: where the VAPID key comes from, how a subscription is
 * made, the body Herald's `PUT …/push-subscriptions` takes, and the message
 * the worker posts when the browser rotated the subscription.
 */

export type FetchLike = (
  input: string,
  init?: RequestInit,
) => Promise<Response>;

/** The part of `PushManager` Herald uses (fakes in tests). */
export interface PushManagerLike {
  getSubscription(): Promise<PushSubscriptionLike | null>;
  subscribe(options: {
    userVisibleOnly: boolean;
    applicationServerKey: string;
  }): Promise<PushSubscriptionLike>;
}

export interface PushSubscriptionLike {
  readonly endpoint: string;
  toJSON(): PushSubscriptionJSON;
  unsubscribe(): Promise<boolean>;
}

/** Posted by the worker to every window after `pushsubscriptionchange`. */
export const ROTATED_MESSAGE = "herald:push-subscription-change";

export interface RotatedMessage {
  type: typeof ROTATED_MESSAGE;
  oldEndpoint: string | null;
  subscription: PushSubscriptionJSON;
}

/** Herald's VAPID public key (base64url), from the route that needs no auth. */
async function fetchVapidKey(
  baseUrl: string,
  fetch: FetchLike,
): Promise<string> {
  const res = await fetch(heraldUrl(baseUrl, "v1/push/vapid-key").href);
  const body = parsePayload(await res.text());
  const key = body?.publicKey;
  if (!res.ok || typeof key !== "string" || key === "") {
    throw new Error(`Herald has no VAPID key (HTTP ${res.status})`);
  }
  return key;
}

/**
 * A subscription for Herald's key. The key goes as base64url text, which
 * the Push API takes as it is; `userVisibleOnly` because every push shows a
 * notification (browsers refuse anything else).
 */
export async function subscribeWithHeraldKey(
  pushManager: PushManagerLike,
  options: { baseUrl: string; fetch: FetchLike },
): Promise<PushSubscriptionLike> {
  const applicationServerKey = await fetchVapidKey(
    options.baseUrl,
    options.fetch,
  );
  return await pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey,
  });
}

/** The body of `PUT /v1/users/{userId}/push-subscriptions`. */
export function subscriptionBody(
  subscription: PushSubscriptionJSON,
  extra: { label?: string | null; oldEndpoint?: string | null },
): Record<string, unknown> {
  const body: Record<string, unknown> = {
    endpoint: subscription.endpoint,
    expirationTime: subscription.expirationTime ?? null,
    keys: subscription.keys,
  };
  if (extra.label) body.label = extra.label;
  if (extra.oldEndpoint && extra.oldEndpoint !== subscription.endpoint) {
    body.oldEndpoint = extra.oldEndpoint;
  }
  return body;
}

/** A `RotatedMessage` from a `message` event's data, or null. */
export function rotatedMessage(data: unknown): RotatedMessage | null {
  if (typeof data !== "object" || data === null) return null;
  const record = Object.fromEntries(Object.entries(data));
  if (record.type !== ROTATED_MESSAGE) return null;
  const subscription = record.subscription;
  if (typeof subscription !== "object" || subscription === null) return null;
  const json = Object.fromEntries(Object.entries(subscription));
  if (typeof json.endpoint !== "string") return null;
  const oldEndpoint = typeof record.oldEndpoint === "string"
    ? record.oldEndpoint
    : null;
  return {
    type: ROTATED_MESSAGE,
    oldEndpoint,
    subscription: {
      endpoint: json.endpoint,
      expirationTime: typeof json.expirationTime === "number"
        ? json.expirationTime
        : null,
      keys: stringRecord(json.keys),
    },
  };
}

function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== "object" || value === null) return {};
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, string] =>
      typeof entry[1] === "string"
    ),
  );
}
