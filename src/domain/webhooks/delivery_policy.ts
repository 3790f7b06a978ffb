/**
 * How Herald retries an event webhook and when it gives up on an endpoint.
 * QStash makes the attempts; these are the numbers Herald publishes with
 * and the rules it applies at each attempt.
 */

/**
 * Retries after the first attempt. With the delay below they come after
 * 5 s, 35 s, 4 min, 29 min, 3.3 h and then every 10 h: the last one about
 * 74 hours (three days) after the event.
 */
export const WEBHOOK_RETRIES = 12;

/**
 * QStash's `Upstash-Retry-Delay` (ms, over `retried`: the retries so far),
 * a schedule like the Standard Webhooks one: quick at first, capped at 10 h.
 */
export const WEBHOOK_RETRY_DELAY = "min(36000000, 5000 * pow(7, retried))";

/** The retry delay in ms after attempt `retried + 1` failed. */
export function retryDelayMs(retried: number): number {
  return Math.min(36_000_000, 5000 * 7 ** retried);
}

/** An endpoint failing every attempt this long is disabled. */
export const FAILING_LIMIT_MS = 5 * 86_400_000;

/** Both secrets sign deliveries this long after a rotation. */
export const ROTATION_OVERLAP_MS = 86_400_000;

/** An endpoint gets this long to answer one attempt. */
export const ATTEMPT_TIMEOUT_MS = 15_000;

/** Delivery attempts are kept this long, then pruned by `cleanup`. */
export const DELIVERY_RETENTION_MS = 14 * 86_400_000;

export type AttemptVerdict =
  | { outcome: "delivered" }
  | { outcome: "disabled"; reason: "gone" | "failing" }
  | { outcome: "retry"; retryAfterSeconds: number | null };

/**
 * What one attempt's answer means: 2xx is success, 410 disables at once,
 * anything else (3xx too, and no answer) is retried unless the endpoint has
 * failed every attempt since `failingSince` for five days. A `Retry-After`
 * in seconds on 429, 502 or 503/504 is passed on to QStash (up to a day).
 */
export function judgeAttempt(a: {
  status: number | null;
  retryAfter: string | null;
  failingSince: number | null;
  now: number;
}): AttemptVerdict {
  if (a.status !== null && a.status >= 200 && a.status < 300) {
    return { outcome: "delivered" };
  }
  if (a.status === 410) return { outcome: "disabled", reason: "gone" };
  if (a.failingSince !== null && a.now - a.failingSince >= FAILING_LIMIT_MS) {
    return { outcome: "disabled", reason: "failing" };
  }
  const honoured = a.status === 429 || a.status === 502 ||
    a.status === 503 || a.status === 504;
  const seconds = honoured && a.retryAfter !== null &&
      /^\d{1,6}$/.test(a.retryAfter.trim())
    ? Math.min(86_400, Number(a.retryAfter.trim()))
    : null;
  return { outcome: "retry", retryAfterSeconds: seconds };
}

/** The secrets that sign a delivery now: the new one, and the old in overlap. */
export function signingSecrets(e: {
  secret: string;
  previousSecret: string | null;
  previousUntil: number | null;
}, now: number): string[] {
  return e.previousSecret !== null && e.previousUntil !== null &&
      now < e.previousUntil
    ? [e.secret, e.previousSecret]
    : [e.secret];
}

/** A fresh endpoint secret: `whsec_` and the base64 of 32 random bytes. */
export function newEndpointSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}
