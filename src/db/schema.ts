import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * One row per user who saved preferences. `version` increases on every
 * change; the sync columns say whether QStash holds that version's schedules.
 * They live on the same row so a write and its "needs reconcile" mark are a
 * single statement.
 */
export const preferences = sqliteTable("preferences", {
  userId: text("user_id").primaryKey(),
  version: integer("version").notNull(),
  data: text("data").notNull(),
  /** Enabled with at least one type on: what "active user" means. */
  active: integer("active", { mode: "boolean" }).notNull(),
  updatedAt: integer("updated_at").notNull(),
  syncedVersion: integer("synced_version").notNull().default(0),
  syncStatus: text("sync_status", { enum: ["synced", "pending"] }).notNull()
    .default("pending"),
  syncAttempts: integer("sync_attempts").notNull().default(0),
  nextSyncAt: integer("next_sync_at"),
  syncError: text("sync_error"),
  leaseId: text("lease_id"),
  leaseUntil: integer("lease_until"),
}, (t) => [
  index("preferences_sync_idx").on(t.syncStatus, t.nextSyncAt),
  index("preferences_active_idx").on(t.active),
]);

/**
 * The ledger: what Herald last confirmed QStash holds. A row is written only
 * after QStash accepted the call, so after a failure it still tells the truth
 * and the next reconcile repeats just the missing calls.
 */
export const schedules = sqliteTable("schedules", {
  id: text("id").primaryKey(),
  userId: text("user_id"),
  type: text("type").notNull(),
  localTime: text("local_time"),
  cron: text("cron").notNull(),
  destination: text("destination").notNull(),
  body: text("body").notNull(),
  updatedAt: integer("updated_at").notNull(),
}, (t) => [index("schedules_user_idx").on(t.userId)]);
