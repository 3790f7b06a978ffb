import type { ServiceContext } from "../../context.ts";
import { getNotification } from "../../store/notifications/notification_store.ts";
import { emitEvents } from "../webhooks/emit_event.ts";
import { recountExpired } from "./notify_channels.ts";

/**
 * A notification's expiry came (its QStash message): the inbox, the count
 * and replay already leave it out by their own reads; what remains is
 * what was cached or shown before — counts are recounted and pushed
 * (`recountExpired`) — and `notification.expired` for the host app. One
 * already deleted, or not yet expired, does nothing.
 */
export async function expireNotification({ ctx, notificationId }: {
  ctx: ServiceContext;
  notificationId: string;
}): Promise<Record<string, unknown>> {
  const n = await getNotification(ctx.db, notificationId);
  if (!n || n.expiresAt == null || n.expiresAt > ctx.now()) {
    return { status: "skipped", reason: n ? "not expired" : "gone" };
  }
  await recountExpired({ ctx, n });
  ctx.background(emitEvents({
    ctx,
    events: [{
      type: "notification.expired",
      data: {
        notificationId: n.id,
        type: n.type,
        audiences: n.audiences,
        expiresAt: new Date(n.expiresAt).toISOString(),
      },
    }],
  }));
  ctx.log.info("notification.expired", { notification: n.id });
  return { status: "expired" };
}
