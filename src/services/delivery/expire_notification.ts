import type { Background } from "../../deps.ts";
import { getNotification } from "../../store/notifications/notification_store.ts";
import { emitEvents } from "../webhooks/emit_event.ts";
import { type FanOutDeps, recountExpired } from "./notify_channels.ts";

type Deps = FanOutDeps;

/**
 * A notification's expiry came (its QStash message): the inbox, the count
 * and replay already leave it out by their own reads; what remains is
 * what was cached or shown before — counts are recounted and pushed
 * (`recountExpired`) — and `notification.expired` for the host app. One
 * already deleted, or not yet expired, does nothing.
 */
export async function expireNotification(
  deps: Deps,
  notificationId: string,
  background: Background,
): Promise<Record<string, unknown>> {
  const n = await getNotification(deps.db, notificationId);
  if (!n || n.expiresAt == null || n.expiresAt > deps.now()) {
    return { status: "skipped", reason: n ? "not expired" : "gone" };
  }
  await recountExpired(deps, n);
  background(emitEvents(deps, [{
    type: "notification.expired",
    data: {
      notificationId: n.id,
      type: n.type,
      audiences: n.audiences,
      expiresAt: new Date(n.expiresAt).toISOString(),
    },
  }]));
  deps.log.info("notification.expired", { notification: n.id });
  return { status: "expired" };
}
