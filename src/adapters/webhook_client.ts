import { type WebhookClient, WebhookError } from "../ports/webhook_client.ts";
import {
  newWebhookMessageId,
  signStandardWebhook,
} from "./standard_webhook_signer.ts";

/**
 * Herald's own calls to the host app (content and job webhooks), signed on
 * the Standard Webhooks spec with one secret: `webhook-id` is fresh per
 * call, `webhook-timestamp` is `now()` in seconds.
 */
export function createWebhookClient(
  secret: string,
  now: () => number,
): WebhookClient {
  return {
    async post(url, payload, timeoutMs) {
      const body = JSON.stringify(payload);
      const signed = signStandardWebhook({
        id: newWebhookMessageId(),
        timestampSeconds: Math.floor(now() / 1000),
        body,
        secrets: [secret],
      });
      let res: Response;
      try {
        res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", ...signed },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        // A host that does not resolve: local workerd turns the DNS failure
        // into "internal error" and prints its own traces for it (one for
        // the fetch, two for the request body's upload task), although the
        // rejection is handled here. Nothing in JS can quiet them; Herald's
        // own line (content.fallback, job.run) says what happened, once.
        const timedOut = error instanceof DOMException &&
          error.name === "TimeoutError";
        throw new WebhookError(timedOut ? "timed out" : "unreachable");
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new WebhookError(`answered ${res.status}`);
      }
      try {
        return await res.json();
      } catch {
        throw new WebhookError("answered with invalid JSON");
      }
    },
  };
}
