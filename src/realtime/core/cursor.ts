import { encodeBase64UrlBytes } from "../../domain/codecs/base64url.ts";

/**
 * The cursor carried in every event id: where one connection stands in its
 * shard's log, so a reconnect replays exactly what it missed.
 *
 *   cursor = "1" ( "." part )*          e.g. "1.Xk3_a9Qb2s"
 *   part   = epoch seq
 *   epoch  = 8 chars of [A-Za-z0-9_-]   (48 random bits per shard log)
 *   seq    = base-36 [0-9a-z]{1,11}     (last seq seen in that log)
 *
 * A connection talks to one shard, so Herald writes one part; the grammar
 * keeps room for more (ids written before shards — one part per channel a
 * connection merged — still parse, and simply match no epoch: a reset).
 * The part names its log by the log's random *epoch*, not by the shard's
 * name: ids stay short, they reveal nothing, and a log that was wiped or
 * belongs to another deployment or shard (a new epoch) can never be
 * mistaken for the one the client saw — its part does not match, which
 * means "position unknown" → reset. The leading version digit keeps the id
 * non-empty even with no part (an empty `id:` would make EventSource forget
 * its last id). Every character is URL-unreserved, so the id travels in a
 * `lastEventId` query parameter untouched.
 */

export interface CursorPart {
  epoch: string;
  seq: number;
}

const VERSION = "1";
const EPOCH_LENGTH = 8;
const PART = /^([A-Za-z0-9_-]{8})([0-9a-z]{1,11})$/;
/** Bounds the work a hostile id can cause. */
const MAX_CURSOR_PARTS = 64;
const MAX_CURSOR_LENGTH = 1 + MAX_CURSOR_PARTS * (1 + EPOCH_LENGTH + 11);

/** An id no log ever wrote: the version digit alone names no position. */
const FOREIGN_CURSOR = "0";

/**
 * The resume id to hand a shard: the client's own when it could be one of
 * ours, else an id that can only mean "position unknown" — so an id longer
 * than any cursor is a `reset`, like any other foreign id, and never reaches
 * the shard's own size check.
 */
export function resumeIdFrom(text: string | null): string | null {
  if (text === null) return null;
  return text.length > MAX_CURSOR_LENGTH ? FOREIGN_CURSOR : text;
}

/** A fresh epoch for a new channel log: 6 random bytes as base64url. */
export function newEpoch(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return encodeBase64UrlBytes(bytes);
}

export function isEpoch(text: string): boolean {
  return /^[A-Za-z0-9_-]{8}$/.test(text);
}

export function formatPart(part: CursorPart): string {
  return part.epoch + part.seq.toString(36);
}

/** Parts in the order given; each is a `formatPart` string. */
export function joinCursor(parts: readonly string[]): string {
  let cursor = VERSION;
  for (const part of parts) cursor += "." + part;
  return cursor;
}

/**
 * The parts of a cursor, or null when it is not one this codec wrote
 * (wrong version, malformed or non-canonical part, an epoch twice, too long).
 */
export function decodeEventCursor(text: string): CursorPart[] | null {
  if (text.length > MAX_CURSOR_LENGTH) return null;
  const [version, ...raw] = text.split(".");
  if (version !== VERSION || raw.length > MAX_CURSOR_PARTS) return null;
  const parts: CursorPart[] = [];
  const epochs = new Set<string>();
  for (const piece of raw) {
    const match = PART.exec(piece);
    if (!match?.[1] || match[2] === undefined) return null;
    const seq = parseInt(match[2], 36);
    // Canonical only ("01" is not 1) and exact (no float rounding).
    if (!Number.isSafeInteger(seq) || seq.toString(36) !== match[2]) {
      return null;
    }
    if (epochs.has(match[1])) return null;
    epochs.add(match[1]);
    parts.push({ epoch: match[1], seq });
  }
  return parts;
}

/** The seq a cursor records for the channel log `epoch`, or null. */
export function seqFor(parts: readonly CursorPart[], epoch: string) {
  return parts.find((part) => part.epoch === epoch)?.seq ?? null;
}

/** The one-part cursor of position `seq` in the log `epoch`. */
export function cursorAt(epoch: string, seq: number): string {
  return joinCursor([formatPart({ epoch, seq })]);
}
