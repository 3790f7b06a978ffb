import { decodeBase64Url, encodeBase64Url } from "./base64url.ts";

/**
 * Paging arithmetic shared by the status list, restart, stop/start and the
 * fan-out: keyset cursors (the last key seen, opaque to clients), page
 * limits, and batch chunking.
 */

/** At most this many messages per QStash batch call. */
export const QSTASH_BATCH_LIMIT = 100;

/** An opaque cursor for "after this key". */
export function encodeListCursor(lastKey: string): string {
  return encodeBase64Url(lastKey);
}

/** The key a cursor names, or null for a cursor Herald did not make. */
export function decodeListCursor(cursor: string): string | null {
  const key = decodeBase64Url(cursor);
  return key === null || key === "" ? null : key;
}

/**
 * Reading `limit + 1` rows tells whether another page follows without a
 * count query: this returns the page and the cursor for the next one.
 */
export function pageOf<T>(
  rows: readonly T[],
  limit: number,
  keyOf: (row: T) => string,
): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items,
    nextCursor: rows.length > limit && last !== undefined
      ? encodeListCursor(keyOf(last))
      : null,
  };
}

/** Splits a list into chunks of at most `size` (the last may be shorter). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`Chunk size ${size} is not a positive integer`);
  }
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    chunks.push(items.slice(i, i + size));
  }
  return chunks;
}
