import { base64ToBytes, bytesToBase64 } from "./body_encoding.ts";
import { parseRetryAfterMs } from "./duration.ts";
import { type HeaderMap, headerMapFrom, headersFrom } from "./header_map.ts";
import { signDelivery } from "./signature.ts";
import type { StoredMessage } from "./state_model.ts";

/**
 * One delivery attempt, exactly as QStash makes it: the stored method, headers
 * and raw body, plus QStash's own headers and a fresh signature.
 */
export interface AttemptResult {
  /** The destination's HTTP status; 0 when there was no response at all. */
  status: number;
  header: HeaderMap;
  bodyBase64: string;
  /** Why there was no response (network error, timeout, shutdown). */
  error?: string;
  /** From the response's `Retry-After`, capped at one day. */
  retryAfterMs?: number;
}

export interface AttemptContext {
  signingKey: string;
  /** Aborted when the server shuts down. */
  signal: AbortSignal;
  defaultTimeoutMs: number;
}

const BODYLESS_METHODS = new Set(["GET", "HEAD"]);

export async function attemptDelivery(
  message: StoredMessage,
  context: AttemptContext,
): Promise<AttemptResult> {
  // fetch refuses a body on GET/HEAD, so sign what is actually sent.
  const body = BODYLESS_METHODS.has(message.method)
    ? new Uint8Array()
    : base64ToBytes(message.bodyBase64);
  const headers = headersFrom(message.header);
  headers.set("User-Agent", "Upstash-QStash");
  headers.set("Upstash-Message-Id", message.messageId);
  headers.set("Upstash-Retried", String(message.retried));
  headers.set("Upstash-Caller-Ip", message.callerIp);
  if (message.scheduleId) {
    headers.set("Upstash-Schedule-Id", message.scheduleId);
  }
  headers.set(
    "Upstash-Signature",
    await signDelivery({
      signingKey: context.signingKey,
      url: message.url,
      body,
      nowSeconds: Math.floor(Date.now() / 1_000),
    }),
  );

  const timeout = new AbortController();
  const timeoutMs = message.timeoutMs ?? context.defaultTimeoutMs;
  const timer = setTimeout(() => timeout.abort(), timeoutMs);
  try {
    const response = await fetch(message.url, {
      method: message.method,
      headers,
      body: BODYLESS_METHODS.has(message.method) ? undefined : body,
      redirect: "manual",
      signal: AbortSignal.any([context.signal, timeout.signal]),
    });
    const responseBody = new Uint8Array(await response.arrayBuffer());
    const retryAfterMs = parseRetryAfterMs(
      response.headers.get("Retry-After"),
      Date.now(),
    );
    return {
      status: response.status,
      header: headerMapFrom(response.headers),
      bodyBase64: bytesToBase64(responseBody),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  } catch (error) {
    const reason = timeout.signal.aborted
      ? `timed out after ${timeoutMs} ms`
      : context.signal.aborted
      ? "dev server shut down"
      : error instanceof Error
      ? error.message
      : String(error);
    return { status: 0, header: {}, bodyBase64: "", error: reason };
  } finally {
    clearTimeout(timer);
  }
}
