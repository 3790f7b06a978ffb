import { createRoute, z } from "@hono/zod-openapi";
import { WEBHOOK_EVENT_TYPES } from "../domain/webhooks/event_types.ts";
import { authenticate, requireAdmin } from "../http/auth.ts";
import { jsonOnly } from "../http/json_body.ts";
import {
  adminOnly,
  errors,
  json,
  jsonRequest,
  openApiRoutes,
} from "../http/openapi.ts";
import {
  createEndpoint,
  endpointCreateSchema,
  endpointPatchSchema,
  getEndpointView,
  listDeliveries,
  listEndpointViews,
  patchEndpoint,
  removeEndpoint,
  rotateEndpointSecret,
  testEndpoint,
} from "../services/webhooks/endpoints.ts";

const instant = z.string().openapi({ format: "date-time" });

const endpoint = z.object({
  id: z.string().openapi({ example: "whe_3q2-7wVhRk1mZpQa" }),
  url: z.string(),
  description: z.string(),
  events: z.array(z.string()).openapi({
    description: `Event names (${WEBHOOK_EVENT_TYPES.join(", ")}) or "*".`,
  }),
  enabled: z.boolean(),
  disabledReason: z.string().nullable().openapi({
    description: "`gone` (it answered 410) or `failing` (every attempt " +
      "failed for 5 days); PATCH `enabled: true` re-enables it.",
  }),
  previousSecretUntil: instant.nullable().openapi({
    description: "After a rotation: until when the old secret signs too.",
  }),
  createdAt: instant,
  updatedAt: instant,
}).openapi("WebhookEndpoint");

const withSecret = endpoint.extend({
  secret: z.string().openapi({
    description: "`whsec_…`: verify with `new Webhook(secret)` " +
      "(standardwebhooks). Shown only here and on rotation.",
  }),
}).openapi("WebhookEndpointWithSecret");

const delivery = z.object({
  eventId: z.string(),
  messageId: z.string().openapi({ description: "The `webhook-id` header." }),
  type: z.string(),
  attempt: z.number().int(),
  status: z.enum(["delivered", "failed", "disabled"]),
  responseStatus: z.number().int().nullable(),
  error: z.string().nullable(),
  at: instant,
  nextRetryAt: instant.nullable(),
}).openapi("WebhookDelivery");

const params = z.object({
  id: z.string().min(1).max(100).openapi({
    param: { name: "id", in: "path" },
  }),
});

const tags = ["Webhooks"];
const admin = {
  tags,
  security: adminOnly,
  middleware: [authenticate, requireAdmin],
};
const writes = {
  tags,
  security: adminOnly,
  middleware: [authenticate, requireAdmin, jsonOnly],
};
const one = "/v1/webhooks/{id}";

const create = createRoute({
  method: "post",
  operationId: "createWebhook",
  path: "/v1/webhooks",
  summary: "Add an event webhook endpoint",
  description: "Events are sent on the Standard Webhooks spec. The URL " +
    "must be https and its host not a private, loopback or link-local " +
    "address (checked on the URL itself: IP literals and local names).",
  ...writes,
  request: { body: jsonRequest(endpointCreateSchema) },
  responses: {
    201: json(withSecret, "Made"),
    ...errors(400, 401, 403, 413, 415),
  },
});

const list = createRoute({
  method: "get",
  operationId: "listWebhooks",
  path: "/v1/webhooks",
  summary: "List event webhook endpoints",
  ...admin,
  responses: {
    200: json(z.object({ webhooks: z.array(endpoint) }), "The endpoints"),
    ...errors(401, 403),
  },
});

const read = createRoute({
  method: "get",
  operationId: "getWebhook",
  path: one,
  summary: "One event webhook endpoint",
  ...admin,
  request: { params },
  responses: {
    200: json(endpoint, "The endpoint"),
    ...errors(400, 401, 403, 404),
  },
});

const patch = createRoute({
  method: "patch",
  operationId: "updateWebhook",
  path: one,
  summary: "Change an endpoint, or re-enable it",
  ...writes,
  request: { params, body: jsonRequest(endpointPatchSchema) },
  responses: {
    200: json(endpoint, "Changed"),
    ...errors(400, 401, 403, 404, 413, 415),
  },
});

const remove = createRoute({
  method: "delete",
  operationId: "deleteWebhook",
  path: one,
  summary: "Delete an endpoint and its delivery log",
  ...admin,
  request: { params },
  responses: {
    200: json(z.object({ deleted: z.string() }), "Deleted"),
    ...errors(400, 401, 403, 404),
  },
});

const rotate = createRoute({
  method: "post",
  operationId: "rotateWebhookSecret",
  path: `${one}/rotate-secret`,
  summary: "Give an endpoint a new secret",
  description: "For 24 hours both the old and the new secret sign each " +
    "delivery (two signatures in `webhook-signature`).",
  ...admin,
  request: { params },
  responses: {
    200: json(withSecret, "Rotated"),
    ...errors(400, 401, 403, 404),
  },
});

const test = createRoute({
  method: "post",
  operationId: "testWebhook",
  path: `${one}/test`,
  summary: "Send a webhook.test event to this endpoint",
  ...admin,
  request: { params },
  responses: {
    202: json(
      z.object({ eventId: z.string(), messageId: z.string() }),
      "Queued",
    ),
    ...errors(400, 401, 403, 404, 409, 503),
  },
});

const deliveries = createRoute({
  method: "get",
  operationId: "listWebhookDeliveries",
  path: `${one}/deliveries`,
  summary: "Recent delivery attempts, newest first",
  ...admin,
  request: {
    params,
    query: z.object({
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
  },
  responses: {
    200: json(
      z.object({ deliveries: z.array(delivery) }),
      "The attempts",
    ),
    ...errors(400, 401, 403, 404),
  },
});

/** The host app's event webhook endpoints (admin key). */
export const webhookRoutes = openApiRoutes()
  .openapi(create, async (c) => {
    return c.json(
      await createEndpoint({ ctx: c.get("ctx"), input: c.req.valid("json") }),
      201,
    );
  })
  .openapi(list, async (c) => {
    return c.json({
      webhooks: await listEndpointViews({ ctx: c.get("ctx") }),
    }, 200);
  })
  .openapi(read, async (c) => {
    return c.json(
      await getEndpointView({ ctx: c.get("ctx"), id: c.req.valid("param").id }),
      200,
    );
  })
  .openapi(patch, async (c) => {
    return c.json(
      await patchEndpoint({
        ctx: c.get("ctx"),
        id: c.req.valid("param").id,
        input: c.req.valid("json"),
      }),
      200,
    );
  })
  .openapi(remove, async (c) => {
    const { id } = c.req.valid("param");
    await removeEndpoint({ ctx: c.get("ctx"), id });
    return c.json({ deleted: id }, 200);
  })
  .openapi(rotate, async (c) => {
    return c.json(
      await rotateEndpointSecret({
        ctx: c.get("ctx"),
        id: c.req.valid("param").id,
      }),
      200,
    );
  })
  .openapi(test, async (c) => {
    return c.json(
      await testEndpoint({ ctx: c.get("ctx"), id: c.req.valid("param").id }),
      202,
    );
  })
  .openapi(deliveries, async (c) => {
    return c.json({
      deliveries: await listDeliveries({
        ctx: c.get("ctx"),
        id: c.req.valid("param").id,
        limit: c.req.valid("query").limit,
      }),
    }, 200);
  });
