import { createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import {
  createNotificationSchema,
  SEVERITIES,
} from "../domain/delivery/notification.ts";
import { AppError } from "../errors.ts";
import {
  authenticate,
  requireAdmin,
  requireSelfOrAdmin,
} from "../http/auth.ts";
import type { HonoEnv } from "../http/env.ts";
import { jsonOnly } from "../http/json_body.ts";
import {
  adminOnly,
  adminOrUser,
  errors,
  json,
  jsonRequest,
  openApiRoutes,
} from "../http/openapi.ts";
import { createNotification } from "../services/delivery/create_notification.ts";
import { postToDigest } from "../services/delivery/digest_notification.ts";
import {
  cancelSend,
  scheduleSend,
  viewOf,
} from "../services/delivery/schedule_send.ts";
import {
  listNotifications,
  readAllNotifications,
  readNotification,
  refreshUnreadCount,
} from "../services/inbox/inbox.ts";
import {
  claimedChannels,
  syncMemberships,
} from "../services/inbox/memberships.ts";
import { unreadCount } from "../services/inbox/unread_count.ts";

/** The inbox item: in API responses and in the stream's `notification` event. */
const notificationView = z.object({
  id: z.string().openapi({ example: "ntf_mx5cy2zne0eb802c1818466a" }),
  type: z.string().openapi({ example: "orders.new" }),
  title: z.string(),
  body: z.string(),
  severity: z.enum(SEVERITIES),
  data: z.record(z.string(), z.unknown()).nullable(),
  createdAt: z.string().openapi({ format: "date-time" }),
  readAt: z.string().nullable().openapi({ format: "date-time" }),
  expiresAt: z.string().optional().openapi({
    format: "date-time",
    description: "Only on a notification that expires: after it, it " +
      "leaves the inbox, the unread count and replay.",
  }),
  channels: z.object({
    live: z.number().int().openapi({
      description: "Live connections (SSE or WebSocket) its publish was " +
        "written to: for a role or topic, every member's together.",
    }),
    push: z.number().int().openapi({
      description: "Web Pushes a push service accepted for it (2xx), " +
        "counted as they land: quiet hours and retries add later.",
    }),
  }).optional().openapi({
    description: "Only in an inbox read with the admin key: how far the " +
      "notification went, per channel.",
  }),
}).openapi("Notification");

const unread = z.object({ unread: z.number().int() }).openapi("UnreadCount");

const sent = z.object({
  notification: notificationView,
  created: z.boolean().openapi({
    description: "False when the Idempotency-Key was already used for " +
      "this same request: nothing new was made; with `digestKey`, false " +
      "when the post joined an open digest (`joined`).",
  }),
  joined: z.boolean().optional().openapi({
    description: "With `digestKey`: true when the post joined an open " +
      "digest, whose item (the same id) it updated.",
  }),
});

const scheduledView = z.object({
  id: z.string().openapi({ example: "sch_mx5cy2zne0eb802c1818466a" }),
  status: z.enum(["scheduled", "delivering", "delivered", "cancelled"]),
  deliverAt: z.string().openapi({ example: "2026-12-08T09:00" }),
  ifPast: z.enum(["now", "skip", "nextDay"]),
  instants: z.array(z.object({
    at: z.string().openapi({ format: "date-time" }),
    recipients: z.array(z.string()).openapi({
      description: "User ids; a role's or topic's channel (`role:ops`).",
    }),
    status: z.enum(["pending", "sent", "cancelled"]),
  })),
  skipped: z.array(z.string()).openapi({
    description: 'Users whose time had passed, with `ifPast: "skip"`.',
  }),
}).openapi("ScheduledSend");

const scheduledBody = z.object({ scheduled: scheduledView });

const listQuery = z.strictObject({
  cursor: z.string().min(1).max(200).optional().openapi({
    description: "`nextCursor` of the previous page.",
  }),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  unread: z.enum(["true", "false"]).optional().openapi({
    description: "`true`: unread notifications only.",
  }),
});

const idempotencyKey = z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/);

/**
 * A user reading their own inbox brings their token's roles and topics
 * along, so broadcasts to those land in it; the inbox then uses them as
 * they now stand, without reading them back. The admin reads what is stored.
 */
const inboxOwner: MiddlewareHandler<HonoEnv> = async (c, next) => {
  const principal = c.get("principal");
  const userId = c.req.param("userId");
  if (userId === undefined) throw new Error("No :userId in the inbox path");
  if (principal.kind === "user") {
    const memberships = claimedChannels(principal.roles, principal.topics);
    await syncMemberships({
      ctx: c.get("ctx"),
      userId: principal.userId,
      channels: memberships,
    });
    c.set("inboxOwner", { userId, memberships });
  } else {
    c.set("inboxOwner", { userId });
  }
  await next();
};

const userParam = z.string().openapi({
  param: { name: "userId", in: "path" },
  example: "user-42",
});
const inboxParams = z.object({ userId: userParam });
const inbox = "/v1/users/{userId}/notifications";
const tags = ["Inbox"];
const inboxRoute = {
  tags,
  security: adminOrUser,
  middleware: [authenticate, requireSelfOrAdmin, inboxOwner],
};

const send = createRoute({
  method: "post",
  operationId: "sendNotification",
  path: "/v1/notifications",
  tags,
  summary: "Create a notification and send it",
  description: "To one user, to roles or to a topic: stored in each " +
    "recipient's inbox and pushed to their live streams. The same " +
    "`Idempotency-Key` with the same request again answers the first " +
    "notification with 200; with a different request (a field of the " +
    "validated body differs; key order and spacing do not count) it is a " +
    "422, `idempotency_key_reused`, and nothing is sent. With `deliverAt` " +
    "it is scheduled instead (202): a local time (`2026-12-08T09:00`) in " +
    "each user's own zone, or an instant (with `Z` or an offset) for " +
    "everybody — the only kind roles and topics take — at most a year " +
    "ahead; `ifPast` (`now`, `skip`, `nextDay`) for a user whose time " +
    "has passed. One QStash message per distinct instant; preferences " +
    "and quiet hours apply when it is delivered.",
  security: adminOnly,
  middleware: [authenticate, requireAdmin, jsonOnly],
  request: {
    headers: z.object({
      "idempotency-key": z.string().optional().openapi({
        description: "1–200 visible ASCII characters.",
      }),
    }),
    body: jsonRequest(createNotificationSchema),
  },
  responses: {
    200: json(sent, "The notification this Idempotency-Key already made"),
    201: json(sent, "Created and sent"),
    202: json(scheduledBody, "Scheduled (with `deliverAt`)"),
    ...errors(400, 401, 403, 413, 415, 422),
  },
});

const scheduledParams = z.object({
  id: z.string().openapi({ param: { name: "id", in: "path" } }),
});

const showScheduled = createRoute({
  method: "get",
  operationId: "getScheduledSend",
  path: "/v1/notifications/scheduled/{id}",
  tags,
  summary: "A scheduled send: its instants and what went out",
  security: adminOnly,
  middleware: [authenticate, requireAdmin],
  request: { params: scheduledParams },
  responses: {
    200: json(scheduledBody, "The send"),
    ...errors(401, 403, 404),
  },
});

const cancelScheduled = createRoute({
  method: "delete",
  operationId: "cancelScheduledSend",
  path: "/v1/notifications/scheduled/{id}",
  tags,
  summary: "Cancel what a scheduled send has not delivered",
  description: "Every instant not yet delivered is cancelled; those " +
    "already out stay `sent` in the answer. Cancelling again answers the " +
    "same. A send already wholly delivered is a 409 (`details.scheduled`).",
  security: adminOnly,
  middleware: [authenticate, requireAdmin],
  request: { params: scheduledParams },
  responses: {
    200: json(scheduledBody, "Cancelled (status `cancelled`)"),
    ...errors(401, 403, 404, 409),
  },
});

const list = createRoute({
  method: "get",
  operationId: "listInbox",
  path: inbox,
  summary: "List a user's inbox, newest first",
  description: "Their own notifications and those sent to the roles and " +
    "topics their token names since they joined them (a membership starts " +
    "when Herald first sees a token name it, and ends when a token no " +
    "longer does).",
  ...inboxRoute,
  request: { params: inboxParams, query: listQuery },
  responses: {
    200: json(
      z.object({
        items: z.array(notificationView),
        nextCursor: z.string().nullable(),
      }),
      "One page",
    ),
    ...errors(400, 401, 403),
  },
});

const count = createRoute({
  method: "get",
  operationId: "countUnread",
  path: `${inbox}/count`,
  summary: "Unread count",
  description: "Of what the inbox lists (a role's or topic's broadcasts " +
    "since the user joined it). Cached in Redis when it is there.",
  ...inboxRoute,
  request: { params: inboxParams },
  responses: { 200: json(unread, "The unread count"), ...errors(401, 403) },
});

const readAll = createRoute({
  method: "post",
  operationId: "readAllNotifications",
  path: `${inbox}/read-all`,
  summary: "Mark every notification read",
  ...inboxRoute,
  request: { params: inboxParams },
  responses: {
    200: json(
      z.object({ marked: z.number().int(), unread: z.number().int() }),
      "How many were marked, and the new count",
    ),
    ...errors(401, 403),
  },
});

const refresh = createRoute({
  method: "post",
  operationId: "refreshUnreadCount",
  path: `${inbox}/refresh`,
  summary: "Recount and push the count to live streams",
  description: "Rate limited: 5 a minute with Redis, 1 without.",
  ...inboxRoute,
  request: { params: inboxParams },
  responses: {
    200: json(unread, "The fresh count"),
    ...errors(401, 403, 429),
  },
});

const readOne = createRoute({
  method: "post",
  operationId: "readNotification",
  path: `${inbox}/{id}/read`,
  summary: "Mark one notification read",
  ...inboxRoute,
  request: {
    params: inboxParams.extend({
      id: z.string().openapi({ param: { name: "id", in: "path" } }),
    }),
  },
  responses: {
    200: json(unread, "The new unread count"),
    ...errors(401, 403, 404),
  },
});

/** Create-and-notify, and each user's inbox. */
export const notificationRoutes = openApiRoutes()
  .openapi(send, async (c) => {
    // Server-Timing: what came before the handler (auth, the body) apart.
    c.get("ctx").mark("request");
    const header = c.req.header("idempotency-key");
    if (header !== undefined && !idempotencyKey.safeParse(header).success) {
      throw new AppError(
        "validation_failed",
        `"Idempotency-Key": must be 1–200 visible ASCII characters`,
        { fields: [{ path: "Idempotency-Key", message: "Invalid key" }] },
      );
    }
    const input = c.req.valid("json");
    const { deliverAt } = input;
    if (deliverAt !== undefined) {
      const scheduled = await scheduleSend({
        ctx: c.get("ctx"),
        input: { ...input, deliverAt },
        idempotencyKey: header ?? null,
      });
      return c.json({ scheduled }, 202);
    }
    const { digestKey, userId } = input;
    if (digestKey !== undefined && userId !== undefined) {
      if (header !== undefined) {
        throw new AppError(
          "validation_failed",
          '"Idempotency-Key": not taken with digestKey (a repeated post ' +
            "joins the digest again)",
          {
            fields: [{
              path: "Idempotency-Key",
              message: "Not with digestKey",
            }],
          },
        );
      }
      const posted = await postToDigest({
        ctx: c.get("ctx"),
        input: { ...input, digestKey, userId },
      });
      return posted.created ? c.json(posted, 201) : c.json(posted, 200);
    }
    const { notification, created } = await createNotification({
      ctx: c.get("ctx"),
      input,
      idempotencyKey: header ?? null,
    });
    c.header("Server-Timing", c.get("timing").header());
    return created
      ? c.json({ notification, created }, 201)
      : c.json({ notification, created }, 200);
  })
  .openapi(showScheduled, async (c) => {
    const scheduled = await viewOf({
      ctx: c.get("ctx"),
      id: c.req.valid("param").id,
    });
    return c.json({ scheduled }, 200);
  })
  .openapi(cancelScheduled, async (c) => {
    const scheduled = await cancelSend({
      ctx: c.get("ctx"),
      id: c.req.valid("param").id,
    });
    return c.json({ scheduled }, 200);
  })
  .openapi(list, async (c) => {
    const q = c.req.valid("query");
    const page = await listNotifications({
      ctx: c.get("ctx"),
      owner: c.get("inboxOwner"),
      q: {
        cursor: q.cursor ?? null,
        limit: q.limit,
        unreadOnly: q.unread === "true",
        withChannels: c.get("principal").kind === "admin",
      },
    });
    return c.json(page, 200);
  })
  .openapi(count, async (c) => {
    const unread = await unreadCount({
      ctx: c.get("ctx"),
      owner: c.get("inboxOwner"),
    });
    return c.json({ unread }, 200);
  })
  .openapi(readAll, async (c) => {
    const result = await readAllNotifications({
      ctx: c.get("ctx"),
      owner: c.get("inboxOwner"),
    });
    return c.json(result, 200);
  })
  .openapi(refresh, async (c) => {
    const result = await refreshUnreadCount({
      ctx: c.get("ctx"),
      owner: c.get("inboxOwner"),
    });
    return c.json(result, 200);
  })
  .openapi(readOne, async (c) => {
    const result = await readNotification({
      ctx: c.get("ctx"),
      owner: c.get("inboxOwner"),
      notificationId: c.req.valid("param").id,
    });
    return c.json(result, 200);
  });
