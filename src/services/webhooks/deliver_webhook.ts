import type { ServiceContext } from "../../context.ts";
import type { WebhookBody } from "../../domain/callbacks/callback_body.ts";
import {
  ATTEMPT_TIMEOUT_MS,
  judgeAttempt,
  retryDelayMs,
  signingSecrets,
  WEBHOOK_RETRIES,
} from "../../domain/webhooks/delivery_policy.ts";
import { AppError } from "../../errors.ts";
import { signStandardWebhook } from "../../adapters/standard_webhook_signer.ts";
import {
  getEndpoint,
  recordAttempt,
} from "../../store/webhooks/webhook_store.ts";

export type WebhookAttemptResult =
  | { status: "delivered"; responseStatus: number }
  | { status: "disabled"; reason: string }
  | { status: "skipped"; reason: string };

/**
 * One attempt of one event to one endpoint, made when QStash delivers its
 * message: signed now (a consumer refuses a timestamp older than five
 * minutes, and a retry may come hours later) with the endpoint's secret,
 * and the previous one too during a rotation's overlap. 2xx answers QStash
 * 200; 410, or five days of nothing but failures, disables the endpoint
 * and answers 200 (no more retries); anything else is a 503 — with the
 * endpoint's `Retry-After` when it gave one — so QStash tries again on the
 * schedule the message was published with.
 */
export async function deliverWebhook({ ctx, body, message }: {
  ctx: ServiceContext;
  body: WebhookBody;
  message: { retried: number };
}): Promise<WebhookAttemptResult> {
  const endpoint = await getEndpoint(ctx.db, body.endpointId);
  if (!endpoint) return { status: "skipped", reason: "no such endpoint" };
  if (!endpoint.enabled) {
    return { status: "skipped", reason: "endpoint disabled" };
  }
  const payload = JSON.stringify({
    type: body.type,
    timestamp: body.timestamp,
    data: body.data,
  });
  const signed = signStandardWebhook({
    id: body.messageId,
    // The wall clock, not Herald's: the consumer checks it against its own.
    timestampSeconds: Math.floor(Date.now() / 1000),
    body: payload,
    secrets: signingSecrets(endpoint, ctx.now()),
  });
  let status: number | null = null;
  let retryAfter: string | null = null;
  let error: string | null = null;
  try {
    const res = await fetch(endpoint.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "Herald-Webhooks",
        ...signed,
      },
      body: payload,
      // A redirect is a failure (the spec), and never followed elsewhere.
      redirect: "manual",
      signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
    });
    status = res.status;
    retryAfter = res.headers.get("retry-after");
    await res.body?.cancel();
  } catch (e) {
    error = e instanceof DOMException && e.name === "TimeoutError"
      ? "timed out"
      : "unreachable";
  }
  const now = ctx.now();
  const verdict = judgeAttempt({
    status,
    retryAfter,
    failingSince: endpoint.failingSince,
    now,
  });
  const labels = { type: body.type, endpoint: endpoint.id };
  const lastAttempt = message.retried >= WEBHOOK_RETRIES;
  const attempt = {
    id: `${body.messageId}.${message.retried}`,
    endpointId: endpoint.id,
    messageId: body.messageId,
    eventId: body.eventId,
    type: body.type,
    attempt: message.retried + 1,
    responseStatus: status,
    error,
    at: now,
  };
  switch (verdict.outcome) {
    case "delivered":
      await recordAttempt(ctx.db, {
        ...attempt,
        outcome: "delivered",
        nextRetryAt: null,
      }, { change: "succeeded" });
      ctx.metrics.count("herald_webhook_events_delivered_total", labels);
      return { status: "delivered", responseStatus: status ?? 0 };
    case "disabled":
      await recordAttempt(ctx.db, {
        ...attempt,
        outcome: "disabled",
        nextRetryAt: null,
      }, { change: "disabled", reason: verdict.reason });
      ctx.metrics.count("herald_webhook_attempts_failed_total", labels);
      ctx.metrics.count("herald_webhook_events_failed_total", labels);
      ctx.metrics.count("herald_webhook_endpoints_disabled_total", {
        endpoint: endpoint.id,
        reason: verdict.reason,
      });
      ctx.log.warn("webhook.disabled", {
        endpoint: endpoint.id,
        reason: verdict.reason,
      });
      return { status: "disabled", reason: verdict.reason };
    case "retry": {
      const delay = verdict.retryAfterSeconds !== null
        ? verdict.retryAfterSeconds * 1000
        : retryDelayMs(message.retried);
      await recordAttempt(ctx.db, {
        ...attempt,
        outcome: "failed",
        nextRetryAt: lastAttempt ? null : now + delay,
      }, { change: "failed" });
      ctx.metrics.count("herald_webhook_attempts_failed_total", labels);
      if (lastAttempt) {
        ctx.metrics.count("herald_webhook_events_failed_total", labels);
      }
      throw new AppError(
        "unavailable",
        status === null
          ? `The endpoint was ${error}; QStash retries`
          : `The endpoint answered ${status}; QStash retries`,
        verdict.retryAfterSeconds === null
          ? undefined
          : { retryAfter: verdict.retryAfterSeconds },
      );
    }
  }
}
