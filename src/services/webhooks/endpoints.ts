import { z } from "zod";
import { checkEndpointUrl } from "../../domain/webhooks/endpoint_url.ts";
import { eventFilterSchema } from "../../domain/webhooks/event_types.ts";
import {
  newEndpointSecret,
  ROTATION_OVERLAP_MS,
} from "../../domain/webhooks/delivery_policy.ts";
import { encodeBase64UrlBytes } from "../../domain/codecs/base64url.ts";
import type { AppDeps } from "../../deps.ts";
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
import { type EmitDeps, emitEvent } from "./emit_event.ts";

type Deps = Pick<AppDeps, "db" | "config" | "now">;

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

function checkedUrl(deps: Deps, raw: string): string {
  const verdict = checkEndpointUrl(raw, {
    allowLoopback: deps.config.webhookAllowLoopback,
  });
  if (verdict.ok) return verdict.url;
  throw new AppError("validation_failed", `"url": ${verdict.reason}`, {
    fields: [{ path: "url", message: verdict.reason }],
  });
}

async function existing(deps: Deps, id: string): Promise<WebhookEndpointRow> {
  const row = await getEndpoint(deps.db, id);
  if (row) return row;
  throw new AppError("not_found", `No webhook endpoint "${id}"`);
}

/** A new endpoint, with its secret: shown now and on rotation only. */
export async function createEndpoint(
  deps: Deps,
  input: z.output<typeof endpointCreateSchema>,
): Promise<EndpointView & { secret: string }> {
  const url = checkedUrl(deps, input.url);
  const now = deps.now();
  const secret = newEndpointSecret();
  const row = await insertEndpoint(deps.db, {
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

export async function listEndpointViews(deps: Deps): Promise<EndpointView[]> {
  const now = deps.now();
  return (await listEndpoints(deps.db)).map((row) => viewOf(row, now));
}

export async function getEndpointView(
  deps: Deps,
  id: string,
): Promise<EndpointView> {
  return viewOf(await existing(deps, id), deps.now());
}

/** `enabled: true` re-enables a disabled endpoint and forgets its failures. */
export async function patchEndpoint(
  deps: Deps,
  id: string,
  input: z.output<typeof endpointPatchSchema>,
): Promise<EndpointView> {
  await existing(deps, id);
  const url = input.url === undefined ? undefined : checkedUrl(deps, input.url);
  const now = deps.now();
  const row = await updateEndpoint(deps.db, id, {
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

export async function removeEndpoint(deps: Deps, id: string): Promise<void> {
  if (!(await deleteEndpoint(deps.db, id))) {
    throw new AppError("not_found", `No webhook endpoint "${id}"`);
  }
}

/**
 * A new secret; the old one keeps signing (beside the new) for 24 hours of
 * Herald's clock, so consumers can switch without missing a delivery. A
 * rotation during the overlap drops the oldest secret.
 */
export async function rotateEndpointSecret(
  deps: Deps,
  id: string,
): Promise<EndpointView & { secret: string }> {
  const old = await existing(deps, id);
  const now = deps.now();
  const secret = newEndpointSecret();
  const row = await updateEndpoint(deps.db, id, {
    secret,
    previousSecret: old.secret,
    previousUntil: now + ROTATION_OVERLAP_MS,
    updatedAt: now,
  });
  if (!row) throw new AppError("not_found", `No webhook endpoint "${id}"`);
  return { ...viewOf(row, now), secret };
}

/** A `webhook.test` event to this endpoint only. */
export async function testEndpoint(
  deps: EmitDeps,
  id: string,
): Promise<{ eventId: string; messageId: string }> {
  const row = await existing(deps, id);
  if (!row.enabled) {
    throw new AppError(
      "conflict",
      `The endpoint "${id}" is disabled; enable it with PATCH first`,
    );
  }
  const sent = await emitEvent(deps, {
    type: "webhook.test",
    data: { endpointId: id },
  }, { onlyEndpoint: id });
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

export async function listDeliveries(
  deps: Deps,
  id: string,
  limit: number,
): Promise<DeliveryView[]> {
  await existing(deps, id);
  return (await recentDeliveries(deps.db, id, limit)).map((d) => ({
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
