import { Hono } from "hono";
import { zValidator } from "@hono/zod-validator";
import { z } from "zod";
import { createNotificationSchema } from "../domain/notification.ts";
import { AppError } from "../errors.ts";
import {
  authenticate,
  requireAdmin,
  requireSelfOrAdmin,
} from "../http/auth.ts";
import type { HonoEnv } from "../http/env.ts";
import { jsonBody } from "../http/json_body.ts";
import { validationHook } from "../http/validation.ts";
import { createNotification } from "../services/create_notification.ts";
import {
  listNotifications,
  readAllNotifications,
  readNotification,
  refreshUnreadCount,
} from "../services/inbox.ts";
import { claimedChannels, syncMemberships } from "../services/memberships.ts";
import { unreadCount } from "../services/unread_count.ts";
import type { MiddlewareHandler } from "hono";

const listQuery = z.strictObject({
  cursor: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  unread: z.enum(["true", "false"]).optional(),
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
    await syncMemberships(c.get("deps"), principal.userId, memberships);
    c.set("inboxOwner", { userId, memberships });
  } else {
    c.set("inboxOwner", { userId });
  }
  await next();
};

const inbox = "/v1/users/:userId/notifications";

/** Create-and-notify, and each user's inbox. */
export const notificationRoutes = new Hono<HonoEnv>()
  .post(
    "/v1/notifications",
    authenticate,
    requireAdmin,
    jsonBody(createNotificationSchema),
    async (c) => {
      const header = c.req.header("idempotency-key");
      if (header !== undefined && !idempotencyKey.safeParse(header).success) {
        throw new AppError(
          "validation_failed",
          `"Idempotency-Key": must be 1–200 visible ASCII characters`,
          { fields: [{ path: "Idempotency-Key", message: "Invalid key" }] },
        );
      }
      const result = await createNotification(
        c.get("deps"),
        c.req.valid("json"),
        header ?? null,
        c.get("background"),
      );
      return c.json(result, result.created ? 201 : 200);
    },
  )
  .use(`${inbox}`, authenticate, requireSelfOrAdmin, inboxOwner)
  .use(`${inbox}/*`, authenticate, requireSelfOrAdmin, inboxOwner)
  .get(inbox, zValidator("query", listQuery, validationHook), async (c) => {
    const q = c.req.valid("query");
    return c.json(
      await listNotifications(c.get("deps"), c.get("inboxOwner"), {
        cursor: q.cursor ?? null,
        limit: q.limit,
        unreadOnly: q.unread === "true",
      }),
    );
  })
  .get(`${inbox}/count`, async (c) => {
    const unread = await unreadCount(c.get("deps"), c.get("inboxOwner"));
    return c.json({ unread });
  })
  .post(`${inbox}/read-all`, async (c) => {
    return c.json(
      await readAllNotifications(c.get("deps"), c.get("inboxOwner")),
    );
  })
  .post(`${inbox}/refresh`, async (c) => {
    return c.json(
      await refreshUnreadCount(c.get("deps"), c.get("inboxOwner")),
    );
  })
  .post(`${inbox}/:id/read`, async (c) => {
    return c.json(
      await readNotification(
        c.get("deps"),
        c.get("inboxOwner"),
        c.req.param("id"),
      ),
    );
  });
