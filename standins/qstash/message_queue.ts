import type { FlowControl } from "./flow_control.ts";
import { newMessageId } from "./ids.ts";
import type { PublishDraft } from "./publish_request.ts";
import type { QStashState } from "./state.ts";
import type { StoredMessage } from "./state_model.ts";

/**
 * Pending messages: accepting publishes (with deduplication), looking them
 * up, cancelling them, and finding the next one due.
 */
export interface PublishResult {
  messageId: string;
  url: string;
  /** True when an earlier message with the same deduplication key exists. */
  deduplicated: boolean;
}

// The OpenAPI header docs say ten minutes; the SDK docstring says 90 days.
// The shorter window is the safer assumption for code that relies on it.
const DEDUP_WINDOW_MS = 10 * 60_000;

export type MessagePlan = Omit<
  StoredMessage,
  "messageId" | "nextAttemptAt" | "retried"
>;

export function newMessage(plan: MessagePlan): StoredMessage {
  return {
    ...plan,
    messageId: newMessageId(),
    nextAttemptAt: plan.notBefore,
    retried: 0,
  };
}

export function publish(
  state: QStashState,
  draft: PublishDraft,
  nowMs: number,
): PublishResult {
  const { dedupKey, ...plan } = draft;
  if (dedupKey !== undefined) {
    state.expireDedup(nowMs);
    const seen = state.dedup.get(dedupKey);
    if (seen) {
      return { messageId: seen.messageId, url: draft.url, deduplicated: true };
    }
  }
  const message = newMessage({ ...plan, createdAt: nowMs });
  state.messages.set(message.messageId, message);
  if (dedupKey !== undefined) {
    state.rememberDedup({
      key: dedupKey,
      messageId: message.messageId,
      expiresAt: nowMs + DEDUP_WINDOW_MS,
    });
  }
  state.changed();
  return { messageId: message.messageId, url: draft.url, deduplicated: false };
}

/**
 * Messages due at or before `untilMs` that are not `busy`, earliest first
 * (publish order among equals): one pass, so a tick over a long queue costs
 * one scan instead of one scan per message started. `room` says how many
 * more messages of a flow-control key may start; the rest of that key are
 * left out here, so a queue held back by its key is not sorted every tick.
 */
export function dueMessages(
  state: QStashState,
  untilMs: number,
  busy: ReadonlySet<string>,
  room: (flow: FlowControl) => number = () => Infinity,
): StoredMessage[] {
  const due: StoredMessage[] = [];
  const taken = new Map<string, number>();
  for (const message of state.messages.values()) {
    if (busy.has(message.messageId) || message.nextAttemptAt > untilMs) {
      continue;
    }
    const flow = message.flowControl;
    if (flow) {
      const count = taken.get(flow.key) ?? 0;
      if (count >= room(flow)) continue;
      taken.set(flow.key, count + 1);
    }
    due.push(message);
  }
  // Array.prototype.sort is stable: equal times keep publish order.
  return due.sort((a, b) => a.nextAttemptAt - b.nextAttemptAt);
}

/** The earliest message due at or before `untilMs` that is not `busy`. */
export function nextDueMessage(
  state: QStashState,
  untilMs: number,
  busy: ReadonlySet<string>,
): StoredMessage | undefined {
  let best: StoredMessage | undefined;
  for (const message of state.messages.values()) {
    if (busy.has(message.messageId) || message.nextAttemptAt > untilMs) {
      continue;
    }
    // Strictly earlier only: equal times keep publish order.
    if (!best || message.nextAttemptAt < best.nextAttemptAt) best = message;
  }
  return best;
}

export interface MessageFilter {
  messageIds?: string[];
  url?: string[];
  label?: string[];
  scheduleId?: string[];
  fromDate?: number;
  toDate?: number;
}

export function matchesFilter(
  message: StoredMessage,
  filter: MessageFilter,
): boolean {
  const within = (list: string[] | undefined, value: string | undefined) =>
    list === undefined || (value !== undefined && list.includes(value));
  return within(filter.messageIds, message.messageId) &&
    within(filter.url, message.url) &&
    within(filter.scheduleId, message.scheduleId) &&
    (filter.label === undefined ||
      (message.labels ?? []).some((l) => filter.label?.includes(l))) &&
    (filter.fromDate === undefined || message.createdAt >= filter.fromDate) &&
    (filter.toDate === undefined || message.createdAt <= filter.toDate);
}

/** Cancels matching pending messages; returns how many. */
export function cancelMessages(
  state: QStashState,
  filter: MessageFilter,
): number {
  let cancelled = 0;
  for (const message of [...state.messages.values()]) {
    if (!matchesFilter(message, filter)) continue;
    state.messages.delete(message.messageId);
    cancelled++;
  }
  if (cancelled > 0) state.changed();
  return cancelled;
}
