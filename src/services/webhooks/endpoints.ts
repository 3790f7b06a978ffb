import type { ServiceContext } from "../../context.ts";
import { z } from "zod";
import { checkEndpointUrl } from "../../domain/webhooks/endpoint_url.ts";
import { eventFilterSchema } from "../../domain/webhooks/event_types.ts";
import {
  newEndpointSecret,
  ROTATION_OVERLAP_MS,
} from "../../domain/webhooks/delivery_policy.ts";
import { encodeBase64UrlBytes } from "../../domain/codecs/base64url.ts";
import { AppError } from "../../errors.ts";
import {
  deleteEndpoint,
  getEndpoint,
  insertEndpoint,
  listEndpoints,
  recentDeliveries,
  updateEndpoint,
  type WebhookDeliveryRow,
  type WebhookEndpointRow,
} from "../../store/webhooks/webhook_store.ts";
import { emitEvent } from "./emit_event.ts";

const description = z.string().max(500);

export const endpointCreateSchema = z.strictObject({
  url: z.string().min(1).max(2000),
  events: eventFilterSchema,
  description: description.optional(),
});

export const endpointPatchSchema = z.strictObject({
  url: z.string().min(1).max(2000).optional(),
  events: eventFilterSchema.optional(),
  description: description.optional(),
  enabled: z.boolean().optional(),
});

export interface EndpointView {
  id: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  /** Why Herald disabled it: `gone` (it answered 410) or `failing`. */
  disabledReason: string | null;
  /** Until when the previous secret still signs (after a rotation). */
  previousSecretUntil: string | null;
  createdAt: string;
  updatedAt: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

function viewOf(row: WebhookEndpointRow, now: number): EndpointView {
  const overlap = row.previousUntil !== null && row.previousUntil > now;
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: z.array(z.string()).parse(JSON.parse(row.events)),
    enabled: row.enabled,
    disabledReason: row.disabledReason,
    previousSecretUntil: overlap && row.previousUntil !== null
      ? iso(row.previousUntil)
      : null,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

function checkedUrl(ctx: ServiceContext, raw: string): string {
  const verdict = checkEndpointUrl(raw, {
    allowLoopback: ctx.config.webhookAllowLoopback,
  });
  if (verdict.ok) return verdict.url;
  throw new AppError("validation_failed", `"url": ${verdict.reason}`, {
    fields: [{ path: "url", message: verdict.reason }],
  });
}

async function existing(
  ctx: ServiceContext,
  id: string,
): Promise<WebhookEndpointRow> {
  const row = await getEndpoint(ctx.db, id);
  if (row) return row;
  throw new AppError("not_found", `No webhook endpoint "${id}"`);
}

/** A new endpoint, with its secret: shown now and on rotation only. */
export async function createEndpoint({ ctx, input }: {
  ctx: ServiceContext;
  input: z.output<typeof endpointCreateSchema>;
}): Promise<EndpointView & { secret: string }> {
  const url = checkedUrl(ctx, input.url);
  const now = ctx.now();
  const secret = newEndpointSecret();
  const row = await insertEndpoint(ctx.db, {
    id: `whe_${
      encodeBase64UrlBytes(crypto.getRandomValues(new Uint8Array(12)))
    }`,
    url,
    description: input.description ?? "",
    events: JSON.stringify(input.events),
    secret,
    enabled: true,
    createdAt: now,
    updatedAt: now,
  });
  return { ...viewOf(row, now), secret };
}

export async function listEndpointViews(
  { ctx }: { ctx: ServiceContext },
): Promise<EndpointView[]> {
  const now = ctx.now();
  return (await listEndpoints(ctx.db)).map((row) => viewOf(row, now));
}

export async function getEndpointView({ ctx, id }: {
  ctx: ServiceContext;
  id: string;
}): Promise<EndpointView> {
  return viewOf(await existing(ctx, id), ctx.now());
}

/** `enabled: true` re-enables a disabled endpoint and forgets its failures. */
export async function patchEndpoint({ ctx, id, input }: {
  ctx: ServiceContext;
  id: string;
  input: z.output<typeof endpointPatchSchema>;
}): Promise<EndpointView> {
  await existing(ctx, id);
  const url = input.url === undefined ? undefined : checkedUrl(ctx, input.url);
  const now = ctx.now();
  const row = await updateEndpoint(ctx.db, id, {
    url,
    events: input.events === undefined
      ? undefined
      : JSON.stringify(input.events),
    description: input.description,
    ...(input.enabled === undefined
      ? {}
      : input.enabled
      ? { enabled: true, disabledReason: null, failingSince: null }
      : { enabled: false, disabledReason: null }),
    updatedAt: now,
  });
  if (!row) throw new AppError("not_found", `No webhook endpoint "${id}"`);
  return viewOf(row, now);
}

export async function removeEndpoint({ ctx, id }: {
  ctx: ServiceContext;
  id: string;
}): Promise<void> {
  if (!(await deleteEndpoint(ctx.db, id))) {
    throw new AppError("not_found", `No webhook endpoint "${id}"`);
  }
}

/**
 * A new secret; the old one keeps signing (beside the new) for 24 hours of
 * Herald's clock, so consumers can switch without missing a delivery. A
 * rotation during the overlap drops the oldest secret.
 */
export async function rotateEndpointSecret({ ctx, id }: {
  ctx: ServiceContext;
  id: string;
}): Promise<EndpointView & { secret: string }> {
  const old = await existing(ctx, id);
  const now = ctx.now();
  const secret = newEndpointSecret();
  const row = await updateEndpoint(ctx.db, id, {
    secret,
    previousSecret: old.secret,
    previousUntil: now + ROTATION_OVERLAP_MS,
    updatedAt: now,
  });
  if (!row) throw new AppError("not_found", `No webhook endpoint "${id}"`);
  return { ...viewOf(row, now), secret };
}

/** A `webhook.test` event to this endpoint only. */
export async function testEndpoint({ ctx, id }: {
  ctx: ServiceContext;
  id: string;
}): Promise<{ eventId: string; messageId: string }> {
  const row = await existing(ctx, id);
  if (!row.enabled) {
    throw new AppError(
      "conflict",
      `The endpoint "${id}" is disabled; enable it with PATCH first`,
    );
  }
  const sent = await emitEvent({
    ctx,
    event: {
      type: "webhook.test",
      data: { endpointId: id },
    },
    opts: { onlyEndpoint: id },
  });
  const [eventId] = sent.eventIds;
  const [messageId] = sent.messageIds;
  if (eventId === undefined || messageId === undefined) {
    throw new AppError("unavailable", "The test event could not be queued");
  }
  return { eventId, messageId };
}

export interface DeliveryView {
  eventId: string;
  messageId: string;
  type: string;
  attempt: number;
  status: WebhookDeliveryRow["outcome"];
  responseStatus: number | null;
  error: string | null;
  at: string;
  nextRetryAt: string | null;
}

export async function listDeliveries({ ctx, id, limit }: {
  ctx: ServiceContext;
  id: string;
  limit: number;
}): Promise<DeliveryView[]> {
  await existing(ctx, id);
  return (await recentDeliveries(ctx.db, id, limit)).map((d) => ({
    eventId: d.eventId,
    messageId: d.messageId,
    type: d.type,
    attempt: d.attempt,
    status: d.outcome,
    responseStatus: d.responseStatus,
    error: d.error,
    at: iso(d.at),
    nextRetryAt: d.nextRetryAt === null ? null : iso(d.nextRetryAt),
  }));
}
