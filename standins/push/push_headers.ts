/**
 * The RFC 8030 headers of a push request, checked as a push service checks
 * them: `TTL` required (seconds, a non-negative integer), `Urgency` one of
 * four words, `Topic` at most 32 base64url characters, and the body coded
 * `aes128gcm` (RFC 8291 §4; the pre-standard `aesgcm` is refused).
 */
export const URGENCIES = ["very-low", "low", "normal", "high"] as const;
export type Urgency = typeof URGENCIES[number];

/** FCM's and Mozilla's ceiling: a longer TTL is lowered to it (RFC 8030 §5.2). */
export const MAX_TTL_S = 28 * 24 * 60 * 60;

export interface PushOptions {
  ttl: number;
  urgency: Urgency;
  topic: string | null;
}

export type PushHeadersVerdict =
  | { ok: true; options: PushOptions }
  | { ok: false; reason: string };

export function readPushHeaders(headers: Headers): PushHeadersVerdict {
  const encoding = headers.get("content-encoding");
  if (encoding?.trim().toLowerCase() !== "aes128gcm") {
    return {
      ok: false,
      reason: `Content-Encoding must be aes128gcm, not ${
        encoding === null ? "absent" : `"${encoding}"`
      }`,
    };
  }
  const ttl = headers.get("ttl");
  if (ttl === null) return { ok: false, reason: "the TTL header is required" };
  if (!/^\d{1,10}$/.test(ttl.trim())) {
    return {
      ok: false,
      reason: `TTL must be a number of seconds, not "${ttl}"`,
    };
  }
  const urgency = headers.get("urgency")?.trim().toLowerCase() ?? "normal";
  if (!isUrgency(urgency)) {
    return {
      ok: false,
      reason: `Urgency must be very-low, low, normal or high, not "${urgency}"`,
    };
  }
  const topic = headers.get("topic");
  if (topic !== null && !/^[A-Za-z0-9_-]{1,32}$/.test(topic)) {
    return {
      ok: false,
      reason: `Topic must be 1 to 32 base64url characters, not "${topic}"`,
    };
  }
  return {
    ok: true,
    options: {
      ttl: Math.min(Number(ttl.trim()), MAX_TTL_S),
      urgency,
      topic,
    },
  };
}

function isUrgency(value: string): value is Urgency {
  return (URGENCIES as readonly string[]).includes(value);
}
