import {
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
} from "drizzle-orm/sqlite-core";

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

/**
 * One notification, whatever its audience. `idempotencyKey` makes creation
 * exactly-once: "api:<Idempotency-Key>" for the API, "occ:<user>:<type>:
 * <local date>T<local time>" for a scheduled occurrence.
 */
export const notifications = sqliteTable("notifications", {
  id: text("id").primaryKey(),
  type: text("type").notNull(),
  title: text("title").notNull(),
  body: text("body").notNull(),
  severity: text("severity", { enum: ["low", "medium", "high", "critical"] })
    .notNull(),
  data: text("data"),
  source: text("source", { enum: ["api", "schedule", "job"] }).notNull(),
  idempotencyKey: text("idempotency_key").unique(),
  createdAt: integer("created_at").notNull(),
});

/**
 * Who a notification is for, as channel names ("user:ada", "role:ops").
 * `createdAt` is copied here so an inbox page is one index range scan.
 */
export const notificationAudiences = sqliteTable("notification_audiences", {
  notificationId: text("notification_id").notNull(),
  audience: text("audience").notNull(),
  createdAt: integer("created_at").notNull(),
}, (t) => [
  primaryKey({ columns: [t.notificationId, t.audience] }),
  index("audiences_inbox_idx").on(t.audience, t.createdAt, t.notificationId),
]);

/** Read receipts, per user (a role notification is read per member). */
export const notificationReads = sqliteTable("notification_reads", {
  userId: text("user_id").notNull(),
  notificationId: text("notification_id").notNull(),
  readAt: integer("read_at").notNull(),
}, (t) => [primaryKey({ columns: [t.userId, t.notificationId] })]);

/**
 * The role and topic channels a user holds, as their token last said. Lets
 * an inbox include broadcasts and lets a broadcast refresh members' counts.
 */
export const memberships = sqliteTable("memberships", {
  userId: text("user_id").notNull(),
  channel: text("channel").notNull(),
  updatedAt: integer("updated_at").notNull(),
}, (t) => [
  primaryKey({ columns: [t.userId, t.channel] }),
  index("memberships_channel_idx").on(t.channel),
]);

/**
 * Accepted notifications not yet handed to every channel. Written in the
 * same batch as the notification, deleted after the fan-out: a crash between
 * the two is retried by the sweep, and channels drop the repeat by key.
 */
export const fanoutOutbox = sqliteTable("fanout_outbox", {
  notificationId: text("notification_id").primaryKey(),
  attempts: integer("attempts").notNull().default(0),
  nextAttemptAt: integer("next_attempt_at").notNull(),
  createdAt: integer("created_at").notNull(),
}, (t) => [index("outbox_due_idx").on(t.nextAttemptAt)]);
