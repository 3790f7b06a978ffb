import { badRequest } from "./api_error.ts";
import { parseDurationMs } from "./duration.ts";
import { canonicalHeaderName, type HeaderMap } from "./header_map.ts";
import { type FlowControl, readFlowControl } from "./flow_control.ts";
import { compileRetryDelay } from "./retry_delay_expression.ts";

/**
 * The `Upstash-*` request headers that say how a message is delivered. Publish,
 * batch items and schedules all read them the same way.
 */
export interface DeliveryOptions {
  method: string;
  /** Forwarded headers (prefix stripped) plus the original Content-Type. */
  header: HeaderMap;
  maxRetries: number;
  retryDelayExpression?: string;
  callback?: string;
  failureCallback?: string;
  timeoutMs?: number;
  labels?: string[];
  flowControl?: FlowControl;
}

const DEFAULT_RETRIES = 3;
const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]);
const FORWARD_PREFIX = "upstash-forward-";

export function readDeliveryOptions(headers: Headers): DeliveryOptions {
  const options: DeliveryOptions = {
    method: readMethod(headers.get("Upstash-Method")),
    header: forwardedHeaders(headers),
    maxRetries: readRetries(headers.get("Upstash-Retries")),
  };
  const retryDelay = headers.get("Upstash-Retry-Delay");
  if (retryDelay !== null) {
    try {
      compileRetryDelay(retryDelay);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw badRequest(
        `invalid Upstash-Retry-Delay "${retryDelay}": ${reason}`,
      );
    }
    options.retryDelayExpression = retryDelay;
  }
  const callback = headers.get("Upstash-Callback");
  if (callback !== null) options.callback = parseUrl(callback, "callback");
  const failure = headers.get("Upstash-Failure-Callback");
  if (failure !== null) {
    options.failureCallback = parseUrl(failure, "failure callback");
  }
  const timeout = headers.get("Upstash-Timeout");
  if (timeout !== null) options.timeoutMs = readTimeout(timeout);
  const label = headers.get("Upstash-Label");
  if (label !== null) {
    const labels = label.split(",").map((l) => l.trim()).filter(Boolean);
    if (labels.length > 0) options.labels = labels;
  }
  const flowControl = readFlowControl(headers);
  if (flowControl) options.flowControl = flowControl;
  return options;
}

/** Checks a destination or callback URL; QStash only calls http(s) URLs. */
export function parseUrl(raw: string, what: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badRequest(
      `invalid ${what} url "${raw}": URL groups and APIs are not supported by the dev server, use an http(s) URL`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw badRequest(`invalid ${what} url "${raw}": only http and https`);
  }
  return raw;
}

function readMethod(value: string | null): string {
  if (value === null) return "POST";
  const method = value.trim().toUpperCase();
  if (!METHODS.has(method)) {
    throw badRequest(`invalid Upstash-Method "${value}"`);
  }
  return method;
}

function readRetries(value: string | null): number {
  if (value === null) return DEFAULT_RETRIES;
  if (!/^\d+$/.test(value.trim())) {
    throw badRequest(`invalid Upstash-Retries "${value}": not a whole number`);
  }
  return Number(value);
}

function readTimeout(value: string): number {
  const ms = /^\d+$/.test(value.trim())
    ? Number(value) * 1_000
    : parseDurationMs(value);
  if (ms === undefined || ms <= 0) {
    throw badRequest(`invalid Upstash-Timeout "${value}"`);
  }
  return ms;
}

function forwardedHeaders(headers: Headers): HeaderMap {
  const map: HeaderMap = {};
  headers.forEach((value, name) => {
    const lower = name.toLowerCase();
    if (lower === "content-type") map["Content-Type"] = [value];
    else if (lower.startsWith(FORWARD_PREFIX)) {
      const target = lower.slice(FORWARD_PREFIX.length);
      if (target) (map[canonicalHeaderName(target)] ??= []).push(value);
    }
  });
  return map;
}
