import { type WebhookClient, WebhookError } from "../ports/webhook_client.ts";

export async function signWebhook(
  secret: string,
  timestamp: number,
  body: string,
): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign(
    "HMAC",
    key,
    new TextEncoder().encode(`${timestamp}.${body}`),
  );
  const hex = Array.from(
    new Uint8Array(mac),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  return `t=${timestamp},v1=${hex}`;
}

export function createWebhookClient(
  secret: string,
  now: () => number,
): WebhookClient {
  return {
    async post(url, payload, timeoutMs) {
      const body = JSON.stringify(payload);
      const signature = await signWebhook(
        secret,
        Math.floor(now() / 1000),
        body,
      );
      let res: Response;
      try {
        res = await fetch(url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "herald-signature": signature,
          },
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
