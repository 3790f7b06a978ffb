import { decodeCursor, seqFor } from "./cursor.ts";

/** What a channel log holds: seqs `firstSeq..lastSeq` (empty when first > last). */
export interface LogBounds {
  firstSeq: number;
  lastSeq: number;
}

/**
 * How a new subscriber starts in one channel:
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
 * The replay-log arithmetic. A position is honoured only when every event
 * after it is still in the log: `afterSeq + 1 >= firstSeq`. Anything we
 * cannot vouch for — an unparsable or foreign cursor, a cursor without this
 * channel's epoch (a wiped log, a channel the connection did not have), a
 * seq from the future — is a reset, never a silent guess.
 */
export function planResume(
  cursor: string | null,
  epoch: string,
  log: LogBounds,
): ResumePlan {
  // EventSource never sends an empty id; a client that does means "none".
  if (cursor === null || cursor === "") return { kind: "live" };
  const parts = decodeCursor(cursor);
  const seq = parts ? seqFor(parts, epoch) : null;
  if (seq === null || seq > log.lastSeq) return { kind: "reset" };
  if (seq + 1 < log.firstSeq) return { kind: "reset" };
  return { kind: "replay", afterSeq: seq };
}
