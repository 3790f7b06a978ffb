/**
 * Signed JSON POSTs to the host app (content webhooks, job webhooks). The
 * signature header is `Herald-Signature: t=<unix s>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>">`, so the receiver can check origin and freshness.
 */
export interface WebhookClient {
  /** Resolves with the parsed JSON reply; throws on timeout or non-2xx. */
  post(url: string, payload: unknown, timeoutMs: number): Promise<unknown>;
}

export class WebhookError extends Error {
  override name = "WebhookError";
}
