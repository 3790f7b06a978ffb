import { decodeEventCursor, seqFor } from "./cursor.ts";

/**
 * What a shard log can vouch for, for one connection: its last seq, and
 * the highest seq trimmed away from any of the connection's audiences.
 */
export interface LogBounds {
  lastSeq: number;
  trimmedThrough: number;
}

/**
 * How a new connection starts:
 * - `live`: no cursor at all (a first connect): from now on, nothing replayed;
 * - `replay`: send the logged events after `afterSeq`, then live;
 * - `reset`: the position cannot be honoured exactly, so tell the client to
 *   refetch its inbox, then live from now.
 */
export type ResumePlan =
  | { kind: "live" }
  | { kind: "replay"; afterSeq: number }
  | { kind: "reset" };

/**
 * The replay-log arithmetic. A position is honoured only when nothing the
 * connection should see after it was trimmed: `trimmedThrough <= seq`.
 * Anything we cannot vouch for — an unparsable or foreign cursor, a cursor
 * without this log's epoch (a wiped log, another shard), a seq from the
 * future — is a reset, never a silent guess.
 */
export function planResume(
  cursor: string | null,
  epoch: string,
  log: LogBounds,
): ResumePlan {
  // EventSource never sends an empty id; a client that does means "none".
  if (cursor === null || cursor === "") return { kind: "live" };
  const parts = decodeEventCursor(cursor);
  const seq = parts ? seqFor(parts, epoch) : null;
  if (seq === null || seq > log.lastSeq) return { kind: "reset" };
  if (log.trimmedThrough > seq) return { kind: "reset" };
  return { kind: "replay", afterSeq: seq };
}
