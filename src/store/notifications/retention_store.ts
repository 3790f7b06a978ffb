import { asc, inArray, lt, or } from "drizzle-orm";
import type { Database } from "../database.ts";
import { schema } from "../database.ts";

const {
  notifications,
  notificationAudiences,
  notificationReads,
  fanoutOutbox,
  broadcastReached,
} = schema;

/**
 * Deletes up to `limit` notifications created before `cut.createdBefore`
 * or expired (`expiresAt`) before `cut.expiredBefore`, oldest first, with
 * their audiences, reads, outbox rows and the members a broadcast's pushes
 * skip (left by a page chain that died), in one batch (one
 * transaction). Returns the audiences they had, for cache invalidation.
 */
export async function deleteExpiredNotifications(
  db: Database,
  cut: { createdBefore: number; expiredBefore: number },
  limit: number,
): Promise<{ deleted: number; audiences: string[] }> {
  const rows = await db.select({ id: notifications.id }).from(notifications)
    .where(or(
      lt(notifications.createdAt, cut.createdBefore),
      lt(notifications.expiresAt, cut.expiredBefore),
    ))
    .orderBy(asc(notifications.createdAt)).limit(limit);
  const ids = rows.map((r) => r.id);
  if (ids.length === 0) return { deleted: 0, audiences: [] };
  const audiences = await db.selectDistinct({
    audience: notificationAudiences.audience,
  }).from(notificationAudiences)
    .where(inArray(notificationAudiences.notificationId, ids));
  await db.batch([
    db.delete(notificationReads)
      .where(inArray(notificationReads.notificationId, ids)),
    db.delete(notificationAudiences)
      .where(inArray(notificationAudiences.notificationId, ids)),
    db.delete(fanoutOutbox).where(inArray(fanoutOutbox.notificationId, ids)),
    db.delete(broadcastReached)
      .where(inArray(broadcastReached.notificationId, ids)),
    db.delete(notifications).where(inArray(notifications.id, ids)),
  ]);
  return { deleted: ids.length, audiences: audiences.map((a) => a.audience) };
}
