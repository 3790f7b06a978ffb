import { Webhook } from "standardwebhooks";
import { encodeBase64UrlBytes } from "../domain/codecs/base64url.ts";

/** The three headers of a Standard Webhooks request. */
export interface StandardWebhookHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/**
 * Signs with the `standardwebhooks` package, the spec's own library: a
 * `whsec_…` secret is the base64 of its key (as consumers pass it to
 * `new Webhook(secret)`); any other string is used as raw bytes (`new
 * Webhook(secret, { format: "raw" })`). Several secrets (a rotation's
 * overlap) give the spec's space-separated signature list.
 */
export function signStandardWebhook(p: {
  id: string;
  /** Wall-clock seconds: the consumer checks them against its own clock. */
  timestampSeconds: number;
  body: string;
  secrets: readonly string[];
}): StandardWebhookHeaders {
  const at = new Date(p.timestampSeconds * 1000);
  const signatures = p.secrets.map((secret) =>
    webhookOf(secret).sign(p.id, at, p.body)
  );
  return {
    "webhook-id": p.id,
    "webhook-timestamp": String(p.timestampSeconds),
    "webhook-signature": signatures.join(" "),
  };
}

function webhookOf(secret: string): Webhook {
  return secret.startsWith("whsec_")
    ? new Webhook(secret)
    : new Webhook(secret, { format: "raw" });
}

/** A webhook id: `msg_` and 16 random bytes in base64url. */
export function newWebhookMessageId(): string {
  return `msg_${
    encodeBase64UrlBytes(crypto.getRandomValues(new Uint8Array(16)))
  }`;
}
