/**
 * Reading what the stream sends, without trusting it: payloads are parsed
 * and checked by hand (the client has no dependencies, so no zod), and
 * anything unexpected is ignored rather than thrown into the page.
 */

export type Payload = Record<string, unknown>;

/** The JSON object in an event's data, or null. */
export function parsePayload(data: unknown): Payload | null {
  if (typeof data !== "string") return null;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return null;
  }
  return Object.fromEntries(Object.entries(value));
}

/** A notification's id (`data.id`), the key duplicates are dropped by. */
export function notificationId(payload: Payload): string | null {
  const id = payload.id;
  if (typeof id === "string" && id !== "") return id;
  if (typeof id === "number" && Number.isFinite(id)) return String(id);
  return null;
}

/**
 * What tells a repeat from news: the id, and for a digest's item (updated
 * in place, the same id) its count too — each update is news, a replayed
 * one is not.
 */
export function revisionKey(payload: Payload): string | null {
  const id = notificationId(payload);
  if (id === null) return null;
  const data = payload.data;
  const digest = data !== null && typeof data === "object" && "digest" in data
    ? data.digest
    : null;
  const count = digest !== null && typeof digest === "object" &&
      "count" in digest
    ? digest.count
    : null;
  return typeof count === "number" ? `${id}#${count}` : id;
}

/** The unread count of a `count` event (`{unread}`), or null. */
export function unreadCount(payload: Payload): number | null {
  const unread = payload.unread;
  return typeof unread === "number" && Number.isInteger(unread) && unread >= 0
    ? unread
    : null;
}

/** The same URL for a WebSocket: http → ws, https → wss. */
export function socketUrl(url: string): string {
  return url.replace(/^http(s?):/, "ws$1:");
}
