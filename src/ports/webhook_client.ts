/**
 * Signed JSON POSTs to the host app (content webhooks, job webhooks), on the
 * Standard Webhooks spec: `webhook-id`, `webhook-timestamp` and
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`
 * with WEBHOOK_SECRET, so the receiver verifies them with the spec's
 * libraries (`new Webhook(secret).verify(body, headers)`).
 */
export interface WebhookClient {
  /** Resolves with the parsed JSON reply; throws on timeout or non-2xx. */
  post(url: string, payload: unknown, timeoutMs: number): Promise<unknown>;
}

export class WebhookError extends Error {
  override name = "WebhookError";
}
