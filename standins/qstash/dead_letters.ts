import {
  matchesFilter,
  type MessageFilter,
  newMessage,
} from "./message_queue.ts";
import type { QStashState } from "./state.ts";
import type { DlqEntry } from "./state_model.ts";

/**
 * The dead-letter queue: messages whose retries ran out. Listing pages with
 * an offset cursor; bulk delete and retry work on at most `count` entries per
 * call and return a cursor while more match, as the SDK's loops expect.
 */
export interface DlqFilter extends MessageFilter {
  dlqIds?: string[];
  responseStatus?: number;
}

export interface Page<T> {
  items: T[];
  /** Present while more entries match. */
  cursor?: string;
}

export const DEFAULT_PAGE_SIZE = 100;

function matching(state: QStashState, filter: DlqFilter): DlqEntry[] {
  return [...state.dlq.values()].filter((entry) =>
    (filter.dlqIds === undefined || filter.dlqIds.includes(entry.dlqId)) &&
    (filter.responseStatus === undefined ||
      entry.lastResponse?.status === filter.responseStatus) &&
    matchesFilter(entry, filter)
  );
}

export function listDlq(
  state: QStashState,
  filter: DlqFilter,
  count: number,
  cursor: number,
): Page<DlqEntry> {
  const all = matching(state, filter);
  const items = all.slice(cursor, cursor + count);
  const next = cursor + items.length;
  return next < all.length ? { items, cursor: String(next) } : { items };
}

/** Deletes up to `count` matching entries. */
export function deleteDlq(
  state: QStashState,
  filter: DlqFilter,
  count: number,
): { deleted: number; cursor?: string } {
  const all = matching(state, filter);
  const batch = all.slice(0, count);
  for (const entry of batch) state.dlq.delete(entry.dlqId);
  if (batch.length > 0) state.changed();
  return all.length > batch.length
    ? { deleted: batch.length, cursor: String(batch.length) }
    : { deleted: batch.length };
}

/** Moves up to `count` matching entries back to the queue as new messages. */
export function retryDlq(
  state: QStashState,
  filter: DlqFilter,
  count: number,
  nowMs: number,
): { responses: { messageId: string }[]; cursor?: string } {
  const all = matching(state, filter);
  const batch = all.slice(0, count);
  const responses = batch.map((entry) => {
    const {
      dlqId: _dlqId,
      failedAt: _failedAt,
      lastResponse: _lastResponse,
      messageId: _messageId,
      nextAttemptAt: _nextAttemptAt,
      retried: _retried,
      ...plan
    } = entry;
    const message = newMessage({ ...plan, createdAt: nowMs, notBefore: nowMs });
    state.messages.set(message.messageId, message);
    state.dlq.delete(entry.dlqId);
    return { messageId: message.messageId };
  });
  if (batch.length > 0) state.changed();
  return all.length > batch.length
    ? { responses, cursor: String(batch.length) }
    : { responses };
}
