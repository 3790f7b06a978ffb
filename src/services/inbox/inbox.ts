import type { ServiceContext } from "../../context.ts";
import {
  decodeInboxCursor,
  encodeInboxCursor,
  type InboxPosition,
} from "../../domain/inbox/inbox_cursor.ts";
import type { NotificationView } from "../../domain/delivery/notification.ts";
import { AppError } from "../../errors.ts";
import { emitEvent } from "../webhooks/emit_event.ts";
import {
  listInbox,
  markAllRead,
  markRead,
} from "../../store/notifications/notification_store.ts";
import {
  type InboxOwner,
  pushUnreadCount,
  unreadCount,
} from "./unread_count.ts";

export interface InboxQuery {
  cursor: string | null;
  limit: number;
  unreadOnly: boolean;
  /** The operator's read: each item says how far it went (`channels`). */
  withChannels?: boolean;
}

export interface InboxPageView {
  items: NotificationView[];
  nextCursor: string | null;
}

/** The inbox cursor a client sent, or a validation error naming it. */
function positionOf(cursor: string): InboxPosition {
  const at = decodeInboxCursor(cursor);
  if (at) return at;
  throw new AppError(
    "validation_failed",
    `"cursor": is not a cursor this API issued`,
    {
      fields: [{ path: "cursor", message: "Not a valid cursor" }],
    },
  );
}

export async function listNotifications({ ctx, owner, q }: {
  ctx: ServiceContext;
  owner: InboxOwner;
  q: InboxQuery;
}): Promise<InboxPageView> {
  const page = await listInbox(ctx.db, {
    userId: owner.userId,
    unreadOnly: q.unreadOnly,
    before: q.cursor === null ? null : positionOf(q.cursor),
    limit: q.limit,
    now: ctx.now(),
    withChannels: q.withChannels ?? false,
  });
  return {
    items: page.items,
    nextCursor: page.next ? encodeInboxCursor(page.next) : null,
  };
}

/** Marks one read; pushes the new count when something changed. */
export async function readNotification({ ctx, owner, notificationId }: {
  ctx: ServiceContext;
  owner: InboxOwner;
  notificationId: string;
}): Promise<{ unread: number }> {
  const result = await markRead(
    ctx.db,
    owner.userId,
    notificationId,
    ctx.now(),
  );
  if (!result.found) {
    throw new AppError(
      "not_found",
      `No notification "${notificationId}" for this user`,
    );
  }
  if (!result.changed) return { unread: await unreadCount({ ctx, owner }) };
  const unread = await pushUnreadCount({ ctx, owner });
  // After the request's own work, so it never competes with it.
  ctx.background(emitEvent({
    ctx,
    event: {
      type: "notification.read",
      data: { userId: owner.userId, notificationId, all: false },
    },
  }));
  return { unread };
}

export async function readAllNotifications({ ctx, owner }: {
  ctx: ServiceContext;
  owner: InboxOwner;
}): Promise<{ marked: number; unread: number }> {
  const marked = await markAllRead(ctx.db, owner.userId, ctx.now());
  const unread = await pushUnreadCount({ ctx, owner });
  // After the request's own work, so it never competes with it.
  if (marked > 0) {
    ctx.background(emitEvent({
      ctx,
      event: {
        type: "notification.read",
        data: { userId: owner.userId, all: true, marked },
      },
    }));
  }
  return { marked, unread };
}

/** A forced recount, pushed to the user's streams; rate limited. */
export async function refreshUnreadCount({ ctx, owner }: {
  ctx: ServiceContext;
  owner: InboxOwner;
}): Promise<{ unread: number }> {
  const limit = await ctx.refreshLimiter.limit(owner.userId);
  if (!limit.allowed) {
    throw new AppError("rate_limited", "Too many refreshes; try again later", {
      retryAfter: limit.retryAfter,
    });
  }
  return { unread: await pushUnreadCount({ ctx, owner }) };
}
