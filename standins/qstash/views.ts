import { utf8TextOf } from "./body_encoding.ts";
import type { DlqEntry, StoredMessage, StoredSchedule } from "./state_model.ts";

/**
 * Stored records rendered as QStash's API objects (the SDK's `Message`,
 * `DlqMessage` and `Schedule` types). Optional fields are left out rather
 * than sent as null, as QStash does.
 */
type Json = Record<string, unknown>;

function body(base64: string, textKey: string, base64Key: string): Json {
  if (base64 === "") return {};
  const text = utf8TextOf(base64);
  return text === undefined ? { [base64Key]: base64 } : { [textKey]: text };
}

function defined(record: Json): Json {
  return Object.fromEntries(
    Object.entries(record).filter(([, value]) => value !== undefined),
  );
}

function labelFields(labels: string[] | undefined): Json {
  return labels ? { label: labels[0], labels } : {};
}

export function messageView(message: StoredMessage): Json {
  return defined({
    messageId: message.messageId,
    url: message.url,
    method: message.method,
    header: message.header,
    ...body(message.bodyBase64, "body", "bodyBase64"),
    maxRetries: message.maxRetries,
    retryDelayExpression: message.retryDelayExpression,
    notBefore: message.notBefore,
    createdAt: message.createdAt,
    callback: message.callback,
    failureCallback: message.failureCallback,
    scheduleId: message.scheduleId,
    callerIp: message.callerIp,
    ...labelFields(message.labels),
  });
}

export function dlqView(entry: DlqEntry): Json {
  const response = entry.lastResponse;
  return defined({
    ...messageView(entry),
    dlqId: entry.dlqId,
    responseStatus: response?.status,
    responseHeader: response?.header,
    ...(response
      ? body(response.bodyBase64, "responseBody", "responseBodyBase64")
      : {}),
  });
}

export function scheduleView(schedule: StoredSchedule): Json {
  return defined({
    scheduleId: schedule.scheduleId,
    cron: schedule.cron,
    createdAt: schedule.createdAt,
    destination: schedule.url,
    method: schedule.method,
    header: schedule.header,
    ...body(schedule.bodyBase64, "body", "bodyBase64"),
    retries: schedule.maxRetries,
    delay: schedule.delayMs === undefined
      ? undefined
      : Math.floor(schedule.delayMs / 1_000),
    retryDelayExpression: schedule.retryDelayExpression,
    callback: schedule.callback,
    failureCallback: schedule.failureCallback,
    callerIp: schedule.callerIp,
    isPaused: schedule.isPaused,
    ...labelFields(schedule.labels),
    lastScheduleTime: schedule.lastScheduleTime,
    nextScheduleTime: schedule.nextScheduleTime,
    lastScheduleStates: schedule.lastScheduleStates,
  });
}
