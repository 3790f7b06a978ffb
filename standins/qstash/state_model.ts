import { z } from "zod";

/**
 * Everything the dev server remembers, as plain JSON-ready data: the same
 * shapes live in memory and in the state file, and the zod schemas below are
 * how a state file (untrusted: hand-edited, older, truncated) is read back.
 */
const headerMap = z.record(z.string(), z.array(z.string()));

const recordedResponse = z.object({
  status: z.number().int(),
  header: headerMap,
  bodyBase64: z.string(),
});
export type RecordedResponse = z.infer<typeof recordedResponse>;

/** What a delivery needs, shared by publish, schedule firings and callbacks. */
const deliveryPlan = {
  url: z.string(),
  method: z.string(),
  /** Headers the destination receives (forwarded ones and Content-Type). */
  header: headerMap,
  bodyBase64: z.string(),
  maxRetries: z.number().int().min(0),
  retryDelayExpression: z.string().optional(),
  callback: z.string().optional(),
  failureCallback: z.string().optional(),
  timeoutMs: z.number().int().positive().optional(),
  callerIp: z.string(),
  labels: z.array(z.string()).optional(),
  flowControl: z.object({
    key: z.string(),
    parallelism: z.number().int().positive().optional(),
    rate: z.number().int().positive().optional(),
    periodMs: z.number().positive().optional(),
  }).optional(),
};

export const storedMessage = z.object({
  ...deliveryPlan,
  messageId: z.string(),
  createdAt: z.number(),
  /** When the first attempt may happen (ms, virtual clock). */
  notBefore: z.number(),
  /** When the next attempt is due; moves on with every retry. */
  nextAttemptAt: z.number(),
  /** Failed attempts so far; sent as `Upstash-Retried`. */
  retried: z.number().int().min(0),
  scheduleId: z.string().optional(),
  /** Callback deliveries never trigger callbacks themselves. */
  isCallback: z.boolean().optional(),
  lastResponse: recordedResponse.optional(),
});
export type StoredMessage = z.infer<typeof storedMessage>;

export const dlqEntry = storedMessage.extend({
  dlqId: z.string(),
  failedAt: z.number(),
});
export type DlqEntry = z.infer<typeof dlqEntry>;

const scheduleState = z.enum(["IN_PROGRESS", "SUCCESS", "FAIL"]);
export type ScheduleMessageState = z.infer<typeof scheduleState>;

export const storedSchedule = z.object({
  ...deliveryPlan,
  scheduleId: z.string(),
  /** Exactly as given, `CRON_TZ=` prefix included. */
  cron: z.string(),
  createdAt: z.number(),
  delayMs: z.number().int().min(0).optional(),
  isPaused: z.boolean(),
  lastScheduleTime: z.number().optional(),
  nextScheduleTime: z.number().optional(),
  lastScheduleStates: z.record(z.string(), scheduleState),
});
export type StoredSchedule = z.infer<typeof storedSchedule>;

const dedupRecord = z.object({
  key: z.string(),
  messageId: z.string(),
  expiresAt: z.number(),
});
export type DedupRecord = z.infer<typeof dedupRecord>;

export const stateSnapshot = z.object({
  version: z.literal(1),
  clockOffsetMs: z.number(),
  messages: z.array(storedMessage),
  schedules: z.array(storedSchedule),
  dlq: z.array(dlqEntry),
  dedup: z.array(dedupRecord),
  /** Absent in state files written before followers existed. */
  clockFollowers: z.array(z.string()).default([]),
});
export type StateSnapshot = z.infer<typeof stateSnapshot>;
