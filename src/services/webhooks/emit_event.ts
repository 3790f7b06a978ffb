import type { ServiceContext } from "../../context.ts";
import type { WebhookEvent } from "../../domain/webhooks/event_types.ts";
import {
  WEBHOOK_RETRIES,
  WEBHOOK_RETRY_DELAY,
} from "../../domain/webhooks/delivery_policy.ts";
import type { WebhookBody } from "../../domain/callbacks/callback_body.ts";
import { encodeBase64UrlBytes } from "../../domain/codecs/base64url.ts";
import type { MessageSpec } from "../../ports/scheduler.ts";
import { newWebhookMessageId } from "../../adapters/standard_webhook_signer.ts";
import { takeSequences } from "../../store/webhooks/webhook_store.ts";
import { publishOrKeep } from "../outbox/publish_outbox.ts";

export interface Emitted {
  eventIds: string[];
  /** One per (event, endpoint): the `webhook-id` each delivery carries. */
  messageIds: string[];
}

/** The spec's advice: a payload under about 20 kB. */
const MAX_PAYLOAD_CHARS = 20_000;

/**
 * Emits events: one QStash message per (event, enabled endpoint whose
 * filter asks for it), all in one batch publish, each addressed to
 * Herald's own callback (kind `webhook`), which signs and calls the
 * endpoint at every attempt (deliver_webhook.ts). Each endpoint numbers its
 * events (`data.sequence`), since retries can reorder them. With no such
 * endpoint this is one libSQL statement per distinct type and no QStash
 * call. Run it off the response path (`ctx.background(...)`, a job's own
 * time); it never throws: when libSQL fails too, that is logged and the
 * events are not sent.
 *
 * The one function other services call, e.g. a push channel:
 * `ctx.background(emitEvent({ ctx, event }))`.
 */
export async function emitEvents({ ctx, events, opts = {} }: {
  ctx: ServiceContext;
  events: readonly WebhookEvent[];
  opts?: { onlyEndpoint?: string };
}): Promise<Emitted> {
  const stamped = events.map((event) => ({
    ...event,
    eventId: `evt_${
      encodeBase64UrlBytes(crypto.getRandomValues(new Uint8Array(12)))
    }`,
  }));
  const eventIds = stamped.map((e) => e.eventId);
  try {
    const timestamp = new Date(ctx.now()).toISOString();
    const bodies: WebhookBody[] = [];
    for (const type of new Set(stamped.map((e) => e.type))) {
      const ofType = stamped.filter((e) => e.type === type);
      const targets = await takeSequences(
        ctx.db,
        type,
        ofType.length,
        opts.onlyEndpoint ?? null,
      );
      for (const t of targets) {
        const first = t.sequence - ofType.length + 1;
        ofType.forEach((e, i) =>
          bodies.push({
            kind: "webhook",
            endpointId: t.id,
            messageId: newWebhookMessageId(),
            eventId: e.eventId,
            type,
            timestamp,
            data: { ...e.data, sequence: first + i },
          })
        );
      }
    }
    const sized = bodies.filter((b) => {
      const chars = JSON.stringify({ type: b.type, timestamp, data: b.data })
        .length;
      if (chars <= MAX_PAYLOAD_CHARS) return true;
      ctx.log.error("webhook.oversized", { type: b.type, chars });
      return false;
    });
    const specs: MessageSpec[] = sized.map((b) => ({
      destination: ctx.config.callbackUrl,
      body: JSON.stringify(b),
      // A kept message published twice is still one delivery.
      deduplicationId: b.messageId,
      retry: { retries: WEBHOOK_RETRIES, delay: WEBHOOK_RETRY_DELAY },
    }));
    await publishOrKeep({ ctx, kind: "webhook", specs });
    for (const b of sized) {
      ctx.metrics.count("herald_webhook_events_emitted_total", {
        type: b.type,
        endpoint: b.endpointId,
      });
    }
    return { eventIds, messageIds: sized.map((b) => b.messageId) };
  } catch (error) {
    ctx.log.warn("webhook.emit_failed", {
      types: [...new Set(events.map((e) => e.type))].join(","),
      error: error instanceof Error ? error.name : "unknown",
    });
    return { eventIds, messageIds: [] };
  }
}

/** One event (see `emitEvents`). */
export function emitEvent({ ctx, event, opts = {} }: {
  ctx: ServiceContext;
  event: WebhookEvent;
  opts?: { onlyEndpoint?: string };
}): Promise<Emitted> {
  return emitEvents({ ctx, events: [event], opts });
}
