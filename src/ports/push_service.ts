/**
 * Sends one Web Push message (RFC 8030) to one subscription: encrypted for
 * it (RFC 8291, `aes128gcm`) and signed with Herald's VAPID key (RFC 8292).
 * `adapters/web_push_client.ts` is the real implementation.
 */
export interface PushTarget {
  endpoint: string;
  /** The browser's keys, base64url: its P-256 point and 16-byte secret. */
  p256dh: string;
  auth: string;
}

export interface PushMessage {
  /** At most 3,993 bytes once UTF-8 (one padded 4,096-byte record). */
  payload: string;
  /** Seconds the push service may hold it for an offline device. */
  ttl: number;
  urgency: "very-low" | "low" | "normal" | "high";
  /** A newer message with the same topic replaces an undelivered one. */
  topic: string;
}

/** What the push service answered; `status` null: it could not be reached. */
export interface PushAnswer {
  status: number | null;
  retryAfter: string | null;
}

export interface PushServicePort {
  send(to: PushTarget, message: PushMessage): Promise<PushAnswer>;
}
