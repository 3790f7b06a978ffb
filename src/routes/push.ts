import { createRoute, z } from "@hono/zod-openapi";
import { subscriptionPutSchema } from "../domain/push/subscription.ts";
import { AppError } from "../errors.ts";
import {
  authenticate,
  pushActionUser,
  requireSelfOrAdmin,
} from "../http/auth.ts";
import { jsonOnly } from "../http/json_body.ts";
import {
  adminOrUser,
  errors,
  json,
  jsonRequest,
  openApiRoutes,
  pushAction,
} from "../http/openapi.ts";
import { readNotification } from "../services/inbox/inbox.ts";
import {
  listSubscriptionViews,
  putSubscription,
  removeSubscription,
} from "../services/push/subscriptions.ts";

const tags = ["Web Push"];
const instant = z.string().openapi({ format: "date-time" });

const vapidKey = createRoute({
  method: "get",
  operationId: "getVapidKey",
  path: "/v1/push/vapid-key",
  tags,
  summary: "Herald's VAPID public key",
  description: "What a browser's `pushManager.subscribe()` takes as " +
    "`applicationServerKey`. No auth: a page needs it before any user " +
    "signs in. A 404 while push is off (no VAPID keys configured).",
  security: [],
  responses: {
    200: json(
      z.object({
        publicKey: z.string().openapi({
          description: "base64url of the 65-byte uncompressed P-256 point.",
        }),
      }).openapi("VapidKey"),
      "Push is on",
    ),
    ...errors(404),
  },
});

const subscription = z.object({
  endpointOrigin: z.string().openapi({
    example: "https://fcm.googleapis.com",
  }),
  label: z.string().nullable(),
  expirationTime: instant.nullable(),
  createdAt: instant,
  lastSeenAt: instant,
}).openapi("PushSubscription", {
  description: "One device's subscription; its keys are never shown.",
});

const params = z.object({
  userId: z.string().openapi({
    param: { name: "userId", in: "path" },
    example: "user-42",
  }),
});
const path = "/v1/users/{userId}/push-subscriptions";
const own = {
  tags,
  security: adminOrUser,
  middleware: [authenticate, requireSelfOrAdmin],
};

const put = createRoute({
  method: "put",
  operationId: "putPushSubscription",
  path,
  ...own,
  middleware: [...own.middleware, jsonOnly],
  summary: "Save this device's push subscription",
  description: "The body is what `PushSubscription.toJSON()` gives, plus " +
    "an optional `oldEndpoint` (the subscription a " +
    "`pushsubscriptionchange` replaced: removed) and `label`. Keyed by " +
    "endpoint: a repeat updates it and refreshes its last-seen time " +
    "(send it on every page load). At most 20 per user: the 21st " +
    "replaces the least recently seen. `keys.p256dh` must be a P-256 " +
    "point and `keys.auth` 16 bytes, and the endpoint https, or it is a " +
    "400 and nothing is stored. 404 while push is off.",
  request: { params, body: jsonRequest(subscriptionPutSchema) },
  responses: {
    200: json(subscription, "Saved"),
    ...errors(400, 401, 403, 404, 413, 415),
  },
});

const list = createRoute({
  method: "get",
  operationId: "listPushSubscriptions",
  path,
  ...own,
  summary: "List a user's push subscriptions",
  description: "Most recently seen first; never the keys.",
  request: { params },
  responses: {
    200: json(
      z.object({ items: z.array(subscription) }),
      "Their subscriptions",
    ),
    ...errors(401, 403, 404),
  },
});

const remove = createRoute({
  method: "delete",
  operationId: "deletePushSubscription",
  path,
  ...own,
  summary: "Remove one push subscription",
  request: {
    params,
    query: z.object({
      endpoint: z.url().openapi({
        description: "The subscription's endpoint.",
      }),
    }),
  },
  responses: {
    204: { description: "Removed" },
    ...errors(400, 401, 403, 404),
  },
});

const readByAction = createRoute({
  method: "post",
  operationId: "readNotificationByPushAction",
  path: "/v1/notifications/{id}/read",
  tags,
  summary: "Mark a pushed notification read with its action token",
  description: "For a service worker's `notificationclick`: every push " +
    "carries `actionToken`, good for 7 days for that one notification of " +
    "that one user (and for nothing else: not as a user's JWT). Send it " +
    "as `?token=`; no other credentials.",
  security: pushAction,
  request: {
    params: z.object({
      id: z.string().min(1).max(100).openapi({
        param: { name: "id", in: "path" },
      }),
    }),
    query: z.object({ token: z.string().min(1).max(2000) }),
  },
  responses: {
    200: json(z.object({ unread: z.number().int() }), "The new unread count"),
    ...errors(400, 401, 404),
  },
});

/** Web Push: the VAPID key, each user's devices, and the click path. */
export const pushRoutes = openApiRoutes()
  .openapi(vapidKey, (c) => {
    const { push } = c.get("ctx").config;
    if (!push) {
      throw new AppError(
        "not_found",
        "Web Push is off: this Herald has no VAPID keys configured",
      );
    }
    return c.json({ publicKey: push.publicKey }, 200);
  })
  .openapi(put, async (c) => {
    const view = await putSubscription({
      ctx: c.get("ctx"),
      userId: c.req.valid("param").userId,
      input: c.req.valid("json"),
    });
    return c.json(view, 200);
  })
  .openapi(list, async (c) => {
    const items = await listSubscriptionViews({
      ctx: c.get("ctx"),
      userId: c.req.valid("param").userId,
    });
    return c.json({ items }, 200);
  })
  .openapi(remove, async (c) => {
    await removeSubscription({
      ctx: c.get("ctx"),
      userId: c.req.valid("param").userId,
      endpoint: c.req.valid("query").endpoint,
    });
    return c.body(null, 204);
  })
  .openapi(readByAction, async (c) => {
    const ctx = c.get("ctx");
    const { id } = c.req.valid("param");
    const userId = await pushActionUser(
      c.req.valid("query").token,
      id,
      ctx.config.jwtSecret,
    );
    if (userId === null) {
      throw new AppError(
        "unauthorized",
        "The action token is invalid, expired, or for another notification",
      );
    }
    const result = await readNotification({
      ctx,
      owner: { userId },
      notificationId: id,
    });
    return c.json(result, 200);
  });
