/**
 * The inbox item as the API lists it and the stream's `notification` event
 * carries it, read by hand like the rest of the client (no dependencies,
 * so no zod): anything that is not an item is dropped, never thrown.
 */

export interface InboxItem {
  id: string;
  type: string;
  title: string;
  body: string;
  /** "low" | "medium" | "high" | "critical" today; shown as given. */
  severity: string;
  data: Record<string, unknown> | null;
  createdAt: string;
  readAt: string | null;
}

export interface InboxPage {
  items: InboxItem[];
  nextCursor: string | null;
}

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value))
    : null;
}

const text = (value: unknown): value is string => typeof value === "string";

/** An inbox item, or null when `value` is not one. */
export function parseItem(value: unknown): InboxItem | null {
  const v = record(value);
  if (!v) return null;
  const { id, type, title, body, severity, createdAt, readAt } = v;
  if (!text(id) || id === "" || !text(type) || !text(title)) return null;
  if (!text(createdAt) || Number.isNaN(Date.parse(createdAt))) return null;
  if (readAt !== null && readAt !== undefined && !text(readAt)) return null;
  return {
    id,
    type,
    title,
    body: text(body) ? body : "",
    severity: text(severity) ? severity : "medium",
    data: record(v.data),
    createdAt,
    readAt: text(readAt) ? readAt : null,
  };
}

/** A page of `GET /v1/users/{id}/notifications`, or null. */
export function parsePage(value: unknown): InboxPage | null {
  const v = record(value);
  if (!v || !Array.isArray(v.items)) return null;
  const items = v.items.map(parseItem).filter((i) => i !== null);
  const next = v.nextCursor;
  return { items, nextCursor: text(next) && next !== "" ? next : null };
}

/** The unread count in `{unread}` (a count response or event), or null. */
export function parseUnread(value: unknown): number | null {
  const unread = record(value)?.unread;
  return typeof unread === "number" && Number.isInteger(unread) && unread >= 0
    ? unread
    : null;
}
