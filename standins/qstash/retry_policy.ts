import type { AttemptResult } from "./delivery.ts";
import { compileRetryDelay } from "./retry_delay_expression.ts";
import type { StoredMessage } from "./state_model.ts";

/**
 * How long QStash waits before the next attempt after `message` (sent with
 * `Upstash-Retried: message.retried`) failed: the destination's
 * `Retry-After` first, then the publisher's `Upstash-Retry-Delay` (ms, over
 * `retried`), else `min(86400, e^(2.5·n))` seconds with n = retries so far
 * including this one (12 s, 2 m 28 s, 30 m 8 s, …).
 */
const ONE_DAY_MS = 86_400_000;

export function retryDelayMs(
  message: StoredMessage,
  result: AttemptResult,
): number {
  if (result.retryAfterMs !== undefined) return result.retryAfterMs;
  if (message.retryDelayExpression !== undefined) {
    const delay = compileRetryDelay(message.retryDelayExpression);
    return Math.min(ONE_DAY_MS, Math.round(delay(message.retried)));
  }
  const n = message.retried + 1;
  return Math.round(Math.min(86_400, Math.exp(2.5 * n)) * 1_000);
}

export const isSuccess = (status: number): boolean =>
  status >= 200 && status < 300;
