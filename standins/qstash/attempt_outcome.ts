import { bytesToBase64 } from "./body_encoding.ts";
import type { AttemptResult } from "./delivery.ts";
import { newDlqId } from "./ids.ts";
import { newMessage } from "./message_queue.ts";
import { isSuccess, retryDelayMs } from "./retry_policy.ts";
import type { QStashState } from "./state.ts";
import type {
  DlqEntry,
  ScheduleMessageState,
  StoredMessage,
} from "./state_model.ts";

/**
 * What happens to a message after one attempt: delivered (gone, success
 * callback), retried later, or dead-lettered (DLQ, failure callback) once its
 * retries are spent.
 */
export type Outcome = "delivered" | "retrying" | "dead" | "cancelled";

export function settleAttempt(
  state: QStashState,
  message: StoredMessage,
  result: AttemptResult,
  atMs: number,
): Outcome {
  // Cancelled while the request was in flight: nothing left to update.
  if (state.messages.get(message.messageId) !== message) return "cancelled";
  const lastResponse = {
    status: result.status,
    header: result.header,
    bodyBase64: result.bodyBase64,
  };
  if (isSuccess(result.status)) {
    state.messages.delete(message.messageId);
    markSchedule(state, message, "SUCCESS");
    if (message.callback && !message.isCallback) {
      enqueueCallback(state, message, message.callback, result, atMs, {});
    }
    state.changed();
    return "delivered";
  }
  if (message.retried < message.maxRetries) {
    message.nextAttemptAt = atMs + retryDelayMs(message, result);
    message.retried++;
    message.lastResponse = lastResponse;
    state.changed();
    return "retrying";
  }
  state.messages.delete(message.messageId);
  const entry: DlqEntry = {
    ...message,
    lastResponse,
    dlqId: newDlqId(),
    failedAt: atMs,
  };
  state.dlq.set(entry.dlqId, entry);
  markSchedule(state, message, "FAIL");
  if (message.failureCallback && !message.isCallback) {
    enqueueCallback(state, message, message.failureCallback, result, atMs, {
      dlqId: entry.dlqId,
    });
  }
  state.changed();
  return "dead";
}

function markSchedule(
  state: QStashState,
  message: StoredMessage,
  outcome: ScheduleMessageState,
): void {
  if (!message.scheduleId) return;
  const states = state.schedules.get(message.scheduleId)?.lastScheduleStates;
  if (states && message.messageId in states) {
    states[message.messageId] = outcome;
  }
}

/** The JSON QStash posts to `Upstash-Callback` / `-Failure-Callback`. */
function enqueueCallback(
  state: QStashState,
  source: StoredMessage,
  url: string,
  result: AttemptResult,
  atMs: number,
  extra: { dlqId?: string },
): void {
  const payload = {
    status: result.status,
    header: result.header,
    body: result.bodyBase64,
    retried: source.retried,
    maxRetries: source.maxRetries,
    sourceMessageId: source.messageId,
    url: source.url,
    method: source.method,
    sourceHeader: source.header,
    sourceBody: source.bodyBase64,
    notBefore: String(source.notBefore),
    createdAt: String(source.createdAt),
    ...(source.scheduleId ? { scheduleId: source.scheduleId } : {}),
    callerIP: source.callerIp,
    ...extra,
  };
  const callback = newMessage({
    url,
    method: "POST",
    header: { "Content-Type": ["application/json"] },
    bodyBase64: bytesToBase64(
      new TextEncoder().encode(JSON.stringify(payload)),
    ),
    maxRetries: source.maxRetries,
    callerIp: source.callerIp,
    createdAt: atMs,
    notBefore: atMs,
    isCallback: true,
  });
  state.messages.set(callback.messageId, callback);
}
