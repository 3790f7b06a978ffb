import type { Severity } from "../delivery/notification.ts";

/**
 * What one push carries and how it is sent (RFC 8030): the JSON a service
 * worker reads, its TTL and Urgency by severity, its Topic, and what each
 * answer of the push service means.
 */

/** One padded 4,096-byte aes128gcm record holds this much plaintext. */
export const MAX_PUSH_PLAINTEXT = 3993;

export interface PushPayload {
  id: string;
  type: string;
  title: string;
  /** Left out after a 413 (the title alone is sent again). */
  body?: string;
  severity: Severity;
  /** The user's unread count, for a badge. */
  unread: number;
  /** What a click opens: the notification's `data.url`, else "/". */
  url: string;
  /** Marks it read: `POST /v1/notifications/{id}/read?token=`. */
  actionToken: string;
  createdAt: string;
}

const encoder = new TextEncoder();

/**
 * The payload as sent: the body shortened (by whole characters) until the
 * whole JSON fits one record; without a body when `withBody` is false.
 */
export function encodePayload(p: PushPayload, withBody: boolean): string {
  const { body = "", ...rest } = p;
  if (!withBody) return JSON.stringify(rest);
  let chars = [...body];
  for (;;) {
    const text = JSON.stringify({ ...rest, body: chars.join("") });
    const size = encoder.encode(text).length;
    if (size <= MAX_PUSH_PLAINTEXT || chars.length === 0) return text;
    // A character is one to four bytes: dropping a quarter of the excess
    // in characters never drops more than needs to go.
    chars = chars.slice(
      0,
      Math.max(0, chars.length - Math.ceil((size - MAX_PUSH_PLAINTEXT) / 4)),
    );
  }
}

/** What a click opens: an http(s) or path `data.url`, else the root. */
export function openUrlOf(data: Record<string, unknown> | null): string {
  const url = data?.url;
  if (typeof url !== "string" || url.length > 2000) return "/";
  if (url.startsWith("/") && !url.startsWith("//")) return url;
  return /^https?:\/\//.test(url) && URL.canParse(url) ? url : "/";
}

/**
 * How long a push service may hold it for an offline device, and how
 * eagerly a device should wake for it: a low item is stale within hours,
 * a critical one wakes the device and is worth days.
 */
export function deliveryOf(
  severity: Severity,
): { ttl: number; urgency: "low" | "normal" | "high" } {
  switch (severity) {
    case "low":
      return { ttl: 6 * 3600, urgency: "low" };
    case "medium":
      return { ttl: 24 * 3600, urgency: "normal" };
    case "high":
      return { ttl: 24 * 3600, urgency: "high" };
    case "critical":
      return { ttl: 72 * 3600, urgency: "high" };
  }
}

/**
 * The Topic (≤ 32 base64url characters): the notification's own id, so a
 * push sent again for it (a retry, the title-only resend) replaces one the
 * device has not received yet.
 */
export function topicOf(notificationId: string): string {
  return notificationId.replace(/[^A-Za-z0-9_-]/g, "").slice(-32);
}

export type PushVerdict =
  | "sent"
  | "gone"
  | "too_large"
  | "retry"
  | "rejected";

/**
 * What an answer means: 201 (any 2xx) done; 404/410 the subscription is
 * gone; 413 too large; 429, 5xx or no answer at all, later; 400/401/403
 * (and anything else) a fault of Herald's configuration or request that
 * no retry mends.
 */
export function verdictOf(status: number | null): PushVerdict {
  if (status === null || status === 429 || status >= 500) return "retry";
  if (status >= 200 && status < 300) return "sent";
  if (status === 404 || status === 410) return "gone";
  if (status === 413) return "too_large";
  return "rejected";
}

/** Attempts of one push before it is given up on. */
export const MAX_PUSH_ATTEMPTS = 6;

/**
 * When to try again after attempt `attempt` (0 first) failed: the push
 * service's `Retry-After` (seconds) when it gave one, within an hour, else
 * 10 s doubling (10, 20, 40, 80, 160 s).
 */
export function retryDelayMs(
  attempt: number,
  retryAfter: string | null,
): number {
  const seconds = retryAfter === null ? NaN : Number(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) {
    return Math.min(seconds, 3600) * 1000;
  }
  return 10_000 * 2 ** Math.min(attempt, 10);
}
