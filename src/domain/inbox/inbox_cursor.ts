import { decodeBase64Url, encodeBase64Url } from "../codecs/base64url.ts";

/**
 * The inbox's paging cursor: where a page of one user's notifications ends,
 * opaque to clients — base64url of "createdAt.id", newest first, so the
 * next page is what is older than it.
 */
export interface InboxPosition {
  createdAt: number;
  id: string;
}

export function encodeInboxCursor(at: InboxPosition): string {
  return encodeBase64Url(`${at.createdAt}.${at.id}`);
}

/** The position a cursor names, or null unless encodeInboxCursor wrote it. */
export function decodeInboxCursor(cursor: string): InboxPosition | null {
  const text = decodeBase64Url(cursor);
  if (text === null) return null;
  const dot = text.indexOf(".");
  const createdAt = Number(text.slice(0, dot));
  const id = text.slice(dot + 1);
  return dot > 0 && Number.isSafeInteger(createdAt) && id.startsWith("ntf_")
    ? { createdAt, id }
    : null;
}
