import { badRequest } from "./api_error.ts";
import { bytesToBase64 } from "./body_encoding.ts";
import { type CronSpec, parseCronSpec } from "./cron_spec.ts";
import {
  type DeliveryOptions,
  parseUrl,
  readDeliveryOptions,
} from "./delivery_options.ts";
import { parseDurationMs } from "./duration.ts";

/** `POST /v2/schedules/{destination}` read into what the schedule book keeps. */
export interface ScheduleDraft extends DeliveryOptions {
  /** Present when the caller chose the id (`Upstash-Schedule-Id`, upsert). */
  scheduleId?: string;
  cron: string;
  spec: CronSpec;
  url: string;
  bodyBase64: string;
  callerIp: string;
  delayMs?: number;
}

export interface ScheduleInput {
  destination: string;
  headers: Headers;
  body: Uint8Array;
  callerIp: string;
}

// QStash's documented alphabet for schedule ids.
const SCHEDULE_ID = /^[A-Za-z0-9._-]+$/;

export function readScheduleRequest(input: ScheduleInput): ScheduleDraft {
  const url = parseUrl(input.destination, "destination");
  const cron = input.headers.get("Upstash-Cron");
  if (cron === null || cron.trim() === "") {
    throw badRequest("Upstash-Cron header is required");
  }
  const parsed = parseCronSpec(cron);
  if (!parsed.ok) throw badRequest(parsed.error);
  const draft: ScheduleDraft = {
    ...readDeliveryOptions(input.headers),
    cron,
    spec: parsed.spec,
    url,
    bodyBase64: bytesToBase64(input.body),
    callerIp: input.callerIp,
  };
  const scheduleId = input.headers.get("Upstash-Schedule-Id");
  if (scheduleId !== null) {
    if (!SCHEDULE_ID.test(scheduleId)) {
      throw badRequest(
        `invalid schedule id "${scheduleId}": only letters, digits, "-", "_" and "." are allowed`,
      );
    }
    draft.scheduleId = scheduleId;
  }
  const delay = input.headers.get("Upstash-Delay");
  if (delay !== null) {
    const delayMs = parseDurationMs(delay);
    if (delayMs === undefined) {
      throw badRequest(`invalid Upstash-Delay "${delay}"`);
    }
    draft.delayMs = delayMs;
  }
  return draft;
}
