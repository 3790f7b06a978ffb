import { notificationId, parsePayload, unreadCount } from "./stream_events.ts";
import { heraldUrl } from "./herald_url.ts";

/**
 * What a Web Push from Herald carries, read without trusting it (the
 * service worker has no zod either). Herald drops the body when the push
 * service answers 413, so only the id and title are required; a push that
 * is not even that still shows something, because a push that shows
 * nothing costs the subscription on iOS and Chrome warns about it.
 */
export interface PushMessage {
  id: string | null;
  title: string;
  body: string | null;
  severity: string | null;
  unread: number | null;
  /** Where a click goes; null: Herald's base URL. */
  url: string | null;
  /** Scoped to this one notification: marks it read without the user's JWT. */
  actionToken: string | null;
}

/** The title shown for a push Herald's payload could not be read from. */
export const FALLBACK_TITLE = "New notification";

const text = (value: unknown): string | null =>
  typeof value === "string" && value !== "" ? value : null;

export function parsePushMessage(data: string | null): PushMessage {
  const payload = parsePayload(data) ?? {};
  return {
    id: notificationId(payload),
    title: text(payload.title) ?? FALLBACK_TITLE,
    body: text(payload.body),
    severity: text(payload.severity),
    unread: unreadCount(payload),
    url: text(payload.url),
    actionToken: text(payload.actionToken),
  };
}

/** What the click handler needs later, kept on the notification. */
export interface ShownData {
  id: string | null;
  url: string;
  actionToken: string | null;
}

/**
 * The `showNotification()` options: the notification id as the tag, so a
 * newer push for the same item replaces the older one on screen, and a
 * critical one stays until the user acts on it. `siteUrl` is where the
 * worker runs: the payload's `url` is the app's (a notification's
 * `data.url`), so a path in it is a path of that site.
 */
export function notificationOptions(
  message: PushMessage,
  siteUrl: string,
): NotificationOptions & { data: ShownData } {
  const options: NotificationOptions & { data: ShownData } = {
    data: {
      id: message.id,
      url: clickUrl(message.url, siteUrl),
      actionToken: message.actionToken,
    },
    requireInteraction: message.severity === "critical",
  };
  if (message.body !== null) options.body = message.body;
  if (message.id !== null) options.tag = message.id;
  return options;
}

/**
 * The URL a click opens: the payload's, resolved against the site's, and
 * only http(s) — a `javascript:` URL in a payload must not reach
 * `openWindow`.
 */
export function clickUrl(url: string | null, siteUrl: string): string {
  const base = new URL(siteUrl);
  if (url === null) return base.href;
  let resolved: URL;
  try {
    resolved = new URL(url, base);
  } catch {
    return base.href;
  }
  return resolved.protocol === "https:" || resolved.protocol === "http:"
    ? resolved.href
    : base.href;
}

/** The notification data back from `event.notification.data`, or null. */
export function shownData(data: unknown): ShownData | null {
  if (typeof data !== "object" || data === null) return null;
  const record = Object.fromEntries(Object.entries(data));
  const url = text(record.url);
  if (url === null) return null;
  return {
    id: text(record.id),
    url,
    actionToken: text(record.actionToken),
  };
}

/**
 * The mark-read call the click makes: the action token stands in for the
 * user's JWT and is good for this notification only.
 */
export function markReadRequest(
  data: ShownData,
  baseUrl: string,
): { url: string; init: RequestInit } | null {
  if (data.id === null || data.actionToken === null) return null;
  const url = heraldUrl(
    baseUrl,
    `v1/notifications/${encodeURIComponent(data.id)}/read`,
  );
  url.searchParams.set("token", data.actionToken);
  return { url: url.href, init: { method: "POST" } };
}

/**
 * The open window to focus for a click: one already on that URL (the hash
 * ignored), else null (the worker opens one).
 */
export function windowFor<T extends { url: string }>(
  windows: readonly T[],
  url: string,
): T | null {
  const target = withoutHash(url);
  return windows.find((w) => withoutHash(w.url) === target) ?? null;
}

function withoutHash(url: string): string {
  const hash = url.indexOf("#");
  return hash === -1 ? url : url.slice(0, hash);
}
