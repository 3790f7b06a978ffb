import {
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";
import { sql } from "drizzle-orm";

/**
 * One row per user who saved preferences. `data` is what the user chose
 * (domain/preference_overrides.ts), `version` increases on every change and
 * `previousData` is the version before it, so one upsert can both merge a
 * patch and say what changed. The sync columns say whether QStash holds that
 * version's schedules; they live on the same row so a write and its "needs
 * reconcile" mark are a single statement.
 */
export const preferences = sqliteTable("preferences", {
  userId: text("user_id").primaryKey(),
  version: integer("version").notNull(),
  data: text("data").notNull(),
  previousData: text("previous_data"),
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
  // Fan-out jobs page through active users by id: one range scan.
  index("preferences_active_idx").on(t.active, t.userId),
]);

/**
 * The ledger: what Herald last confirmed QStash holds. A row is written only
 * after QStash accepted the call, so after a failure it still tells the truth
 * and the next reconcile repeats just the missing calls.
 */
export const schedules = sqliteTable("schedules", {
  id: text("id").primaryKey(),
  /** Null for a system job's schedule (`type` is then "job"). */
  userId: text("user_id"),
  type: text("type").notNull(),
  localTime: text("local_time"),
  cron: text("cron").notNull(),
  destination: text("destination").notNull(),
  body: text("body").notNull(),
  /** Paused in QStash (the scheduler is stopped). */
  paused: integer("paused", { mode: "boolean" }).notNull().default(false),
  updatedAt: integer("updated_at").notNull(),
}, (t) => [index("schedules_user_idx").on(t.userId)]);

/**
 * One notification, whatever its audience. `idempotencyKey` makes creation
 * exactly-once: "api:<Idempotency-Key>" for the API, "occ:<user>:<type>:
 * <local date>T<local time>" for a scheduled occurrence. `requestHash` is the
 * fingerprint of the API request that made it (with a key only), so reusing
 * the key for a different request is refused rather than answered with this.
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
  requestHash: text("request_hash"),
  // An ad hoc notification's Web Push policy (its type is not in the
  // catalogue); null: the catalogue type's `channels.push` decides.
  push: text("push", { enum: ["off", "offline", "always"] }),
  createdAt: integer("created_at").notNull(),
  /** After this instant the inbox, the count and replay leave it out. */
  expiresAt: integer("expires_at"),
  /** Live connections its publish was written to (recorded after it). */
  liveCount: integer("live_count").notNull().default(0),
  /** Pushes a push service accepted for it (2xx), counted as they land. */
  pushCount: integer("push_count").notNull().default(0),
}, (t) => [
  // Retention clean-up and daily stats read notifications by age.
  index("notifications_created_idx").on(t.createdAt),
  index("notifications_expires_idx").on(t.expiresAt),
]);

/**
 * Who a notification is for, as channel names ("user:ada", "role:ops").
 * `createdAt` is copied here so an inbox page is one index range scan.
 */
export const notificationAudiences = sqliteTable("notification_audiences", {
  notificationId: text("notification_id").notNull(),
  audience: text("audience").notNull(),
  createdAt: integer("created_at").notNull(),
  /** The notification's `expiresAt`, copied so inbox reads need no join. */
  expiresAt: integer("expires_at"),
}, (t) => [
  primaryKey({ columns: [t.notificationId, t.audience] }),
  index("audiences_inbox_idx").on(t.audience, t.createdAt, t.notificationId),
]);

/** Read receipts, per user (a role notification is read per member). */
export const notificationReads = sqliteTable("notification_reads", {
  userId: text("user_id").notNull(),
  notificationId: text("notification_id").notNull(),
  readAt: integer("read_at").notNull(),
}, (t) => [
  primaryKey({ columns: [t.userId, t.notificationId] }),
  index("reads_notification_idx").on(t.notificationId),
  index("reads_time_idx").on(t.readAt),
]);

/**
 * The role and topic channels a user holds, as their token last said. Lets
 * an inbox include broadcasts and lets a broadcast refresh members' counts.
 * `joinedAt` is when Herald first saw the token name the channel: the inbox
 * holds the channel's notifications from then on, never its history. A row
 * is deleted when the token stops naming the channel, so rejoining starts
 * from the new join.
 */
export const memberships = sqliteTable("memberships", {
  userId: text("user_id").notNull(),
  channel: text("channel").notNull(),
  joinedAt: integer("joined_at").notNull(),
}, (t) => [
  primaryKey({ columns: [t.userId, t.channel] }),
  // A channel's members in id order: a broadcast's pages read a range.
  index("memberships_channel_idx").on(t.channel, t.userId),
]);

/**
 * The members a role or topic broadcast reached live (a connection holding
 * the channel just after its publish), kept while its pushes are paged
 * through QStash so an `offline` policy skips them; deleted by the last
 * page, or with the notification.
 */
export const broadcastReached = sqliteTable("broadcast_reached", {
  notificationId: text("notification_id").notNull(),
  userId: text("user_id").notNull(),
}, (t) => [primaryKey({ columns: [t.notificationId, t.userId] })]);

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

/**
 * Scheduler-wide state, one row (id 1): whether Herald's schedules should be
 * running or paused in QStash. Reconciles read it to create paused schedules
 * while the scheduler is stopped.
 */
export const schedulerState = sqliteTable("scheduler_state", {
  id: integer("id").primaryKey(),
  running: integer("running", { mode: "boolean" }).notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/**
 * A restart, stop or start over every schedule, done in pages. The cursor
 * and counts are saved after each page, so a failed or interrupted
 * operation resumes where it stopped; the lease keeps two runners apart.
 */
export const schedulerOperations = sqliteTable("scheduler_operations", {
  id: text("id").primaryKey(),
  kind: text("kind", { enum: ["restart", "stop", "start", "retype"] })
    .notNull(),
  /** What a `retype` is about: the type and what changed (JSON). */
  params: text("params"),
  status: text("status", {
    enum: ["running", "done", "failed", "superseded"],
  }).notNull(),
  phase: text("phase").notNull(),
  cursor: text("cursor"),
  pages: integer("pages").notNull().default(0),
  users: integer("users").notNull().default(0),
  created: integer("created").notNull().default(0),
  updated: integer("updated").notNull().default(0),
  deleted: integer("deleted").notNull().default(0),
  unchanged: integer("unchanged").notNull().default(0),
  paused: integer("paused").notNull().default(0),
  resumed: integer("resumed").notNull().default(0),
  ledgerFixed: integer("ledger_fixed").notNull().default(0),
  error: text("error"),
  leaseUntil: integer("lease_until"),
  startedAt: integer("started_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
  finishedAt: integer("finished_at"),
}, (t) => [index("operations_kind_idx").on(t.kind, t.startedAt)]);

/**
 * Operator-defined system jobs. `trigger` and `target` are the validated
 * JSON definitions (domain/job_definition.ts); each job is one QStash
 * schedule `herald.j.<id>`, kept in the ledger like user schedules.
 */
export const jobs = sqliteTable("jobs", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  trigger: text("trigger").notNull(),
  target: text("target").notNull(),
  runAtStartup: integer("run_at_startup", { mode: "boolean" }).notNull(),
  syncStatus: text("sync_status", { enum: ["synced", "pending"] }).notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/**
 * One run of a job. A run started by a QStash message takes its id from the
 * message id, so a redelivery finds its run instead of starting another.
 * The fan-out counters are updated by concurrent page and user requests.
 */
export const jobRuns = sqliteTable("job_runs", {
  id: text("id").primaryKey(),
  jobId: text("job_id").notNull(),
  trigger: text("trigger", { enum: ["schedule", "manual", "startup"] })
    .notNull(),
  status: text("status", { enum: ["running", "succeeded", "failed"] })
    .notNull(),
  attempts: integer("attempts").notNull().default(1),
  leaseUntil: integer("lease_until"),
  startedAt: integer("started_at").notNull(),
  finishedAt: integer("finished_at"),
  result: text("result"),
  error: text("error"),
  pages: integer("pages").notNull().default(0),
  /** Page number of the last page, once a page found no more users. */
  lastPage: integer("last_page"),
  published: integer("published").notNull().default(0),
  delivered: integer("delivered").notNull().default(0),
  failed: integer("failed").notNull().default(0),
}, (t) => [index("job_runs_job_idx").on(t.jobId, t.startedAt)]);

/** Fan-out pages already published, so a retried page counts once. */
export const jobRunPages = sqliteTable("job_run_pages", {
  runId: text("run_id").notNull(),
  page: integer("page").notNull(),
  users: integer("users").notNull(),
}, (t) => [primaryKey({ columns: [t.runId, t.page] })]);

/** Users a fan-out could not serve yet (cleared when a retry succeeds). */
export const jobRunFailures = sqliteTable("job_run_failures", {
  runId: text("run_id").notNull(),
  userId: text("user_id").notNull(),
  attempts: integer("attempts").notNull(),
  error: text("error").notNull(),
  updatedAt: integer("updated_at").notNull(),
}, (t) => [primaryKey({ columns: [t.runId, t.userId] })]);

/**
 * Counters shared by every isolate and process: each adds its in-memory
 * deltas here with `value = value + ?` (adapters/metrics_recorder.ts).
 */
export const metrics = sqliteTable("metrics", {
  name: text("name").notNull(),
  labels: text("labels").notNull(),
  value: integer("value").notNull(),
}, (t) => [primaryKey({ columns: [t.name, t.labels] })]);

/** What the `stats` job counted for one day and notification type. */
export const dailyStats = sqliteTable("daily_stats", {
  day: text("day").notNull(),
  type: text("type").notNull(),
  sent: integer("sent").notNull(),
  read: integer("read").notNull(),
  updatedAt: integer("updated_at").notNull(),
}, (t) => [primaryKey({ columns: [t.day, t.type] })]);

/**
 * Deployments (Workers version ids) or process starts that already ran the
 * `runAtStartup` jobs: the first request, cron tick or process start that
 * inserts the row runs them, nobody else.
 */
export const startupMarks = sqliteTable("startup_marks", {
  marker: text("marker").primaryKey(),
  createdAt: integer("created_at").notNull(),
});

/**
 * The shared placement's members (domain/slot_plan.ts): one row per user,
 * type and local time, in the slot (UTC minute, "HHMM") of its next
 * occurrence. `id` is the member's public name (`herald.m.…`), so status and
 * slot pages read members in id order from one index. `since` is when the
 * member joined: a firing from before that (a late delivery) is not theirs.
 */
export const slotMembers = sqliteTable("slot_members", {
  id: text("id").primaryKey(),
  userId: text("user_id").notNull(),
  type: text("type").notNull(),
  localTime: text("local_time").notNull(),
  slot: text("slot").notNull(),
  since: integer("since").notNull(),
}, (t) => [
  index("slot_members_user_idx").on(t.userId),
  index("slot_members_slot_idx").on(t.slot, t.id),
]);

/**
 * One row per slot that has had a member: the lease that serialises making
 * QStash's schedule for it match whether it has members (services/
 * slot_schedules.ts).
 */
export const slots = sqliteTable("slots", {
  slot: text("slot").primaryKey(),
  leaseId: text("lease_id"),
  leaseUntil: integer("lease_until"),
});

/** Members a slot firing could not serve, by firing: recorded, not fatal. */
export const slotFailures = sqliteTable("slot_failures", {
  slot: text("slot").notNull(),
  firedAt: integer("fired_at").notNull(),
  memberId: text("member_id").notNull(),
  error: text("error").notNull(),
  at: integer("at").notNull(),
}, (t) => [primaryKey({ columns: [t.slot, t.firedAt, t.memberId] })]);

/**
 * The catalogue: the operator's notification types (domain/catalogue.ts).
 * `definition` is the validated type without its id (JSON); `version`
 * grows with every change; `position` keeps the order types were made in.
 */
export const notificationTypes = sqliteTable("notification_types", {
  id: text("id").primaryKey(),
  version: integer("version").notNull(),
  definition: text("definition").notNull(),
  position: integer("position").notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/**
 * One row: bumped by every catalogue change, in the change's own batch. A
 * reconcile reads it with its lease and reloads its cached catalogue when
 * it moved, so no isolate plans a user against a catalogue it missed.
 */
export const catalogueRevision = sqliteTable("catalogue_revision", {
  id: integer("id").primaryKey(),
  revision: integer("revision").notNull(),
});

/**
 * The host app's event webhook endpoints (services/webhooks/). `events` is
 * a JSON array of event names or `"*"`. `secret` signs every delivery;
 * during a rotation `previousSecret` signs it too until `previousUntil`
 * (Herald's clock). `sequence` counts the events emitted to the endpoint,
 * each carrying its number. `failingSince` is the first failed attempt
 * since the last success: five days of that and the endpoint is disabled.
 */
export const webhookEndpoints = sqliteTable("webhook_endpoints", {
  id: text("id").primaryKey(),
  url: text("url").notNull(),
  description: text("description").notNull().default(""),
  events: text("events").notNull(),
  secret: text("secret").notNull(),
  previousSecret: text("previous_secret"),
  previousUntil: integer("previous_until"),
  enabled: integer("enabled", { mode: "boolean" }).notNull(),
  disabledReason: text("disabled_reason"),
  sequence: integer("sequence").notNull().default(0),
  failingSince: integer("failing_since"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/**
 * One row per attempt to call an endpoint (`webhook-id` is `messageId`,
 * the same for every attempt of one event to one endpoint). Pruned by the
 * cleanup job after the retention.
 */
export const webhookDeliveries = sqliteTable("webhook_deliveries", {
  id: text("id").primaryKey(),
  endpointId: text("endpoint_id").notNull(),
  messageId: text("message_id").notNull(),
  eventId: text("event_id").notNull(),
  type: text("type").notNull(),
  attempt: integer("attempt").notNull(),
  outcome: text("outcome", { enum: ["delivered", "failed", "disabled"] })
    .notNull(),
  responseStatus: integer("response_status"),
  error: text("error"),
  nextRetryAt: integer("next_retry_at"),
  at: integer("at").notNull(),
}, (t) => [
  index("webhook_deliveries_endpoint_idx").on(t.endpointId, t.at),
  index("webhook_deliveries_at_idx").on(t.at),
]);

/**
 * The signed job-run deliveries already taken, by the signature's own id
 * (`jti`, covered by the signature, unlike `Upstash-Message-Id`): a signed
 * delivery posted again is a duplicate, not a second run. Kept until the
 * signature expires (nobody can post it after that), then pruned.
 */
export const signedDeliveries = sqliteTable("signed_deliveries", {
  jti: text("jti").primaryKey(),
  /** The run the delivery started, which a replay is answered with. */
  runId: text("run_id").notNull(),
  expiresAt: integer("expires_at").notNull(),
}, (t) => [index("signed_deliveries_expires_idx").on(t.expiresAt)]);

/**
 * One row per browser push subscription (services/push/), keyed by its
 * endpoint: a repeat PUT updates it, and an endpoint another user PUTs
 * moves to them (the device is theirs now). `p256dh` and `auth` are the
 * browser's keys, never shown; `expirationTime` is the browser's (ms, or
 * null); `lastSeenAt` is refreshed by every PUT (each page load), and the
 * cron sweep removes rows expired or unseen for 60 days.
 */
export const pushSubscriptions = sqliteTable("push_subscriptions", {
  endpoint: text("endpoint").primaryKey(),
  userId: text("user_id").notNull(),
  p256dh: text("p256dh").notNull(),
  auth: text("auth").notNull(),
  label: text("label"),
  expirationTime: integer("expiration_time"),
  createdAt: integer("created_at").notNull(),
  lastSeenAt: integer("last_seen_at").notNull(),
}, (t) => [
  index("push_subscriptions_user_idx").on(t.userId, t.lastSeenAt),
  index("push_subscriptions_seen_idx").on(t.lastSeenAt),
]);

/**
 * A `deliverAt` send (services/delivery/schedule_send.ts): the notification
 * to make (`content`, JSON), when it was asked for, and the Idempotency-Key
 * that made it. `cancelledAt` is set by the cancel that stopped any of its
 * instants.
 */
export const scheduledSends = sqliteTable("scheduled_sends", {
  id: text("id").primaryKey(),
  deliverAt: text("deliver_at").notNull(),
  ifPast: text("if_past", { enum: ["now", "skip", "nextDay"] }).notNull(),
  content: text("content").notNull(),
  /** Recipients passed over (`ifPast: "skip"`), a JSON array of user ids. */
  skipped: text("skipped").notNull(),
  idempotencyKey: text("idempotency_key").unique(),
  requestHash: text("request_hash"),
  cancelledAt: integer("cancelled_at"),
  createdAt: integer("created_at").notNull(),
}, (t) => [index("scheduled_sends_created_idx").on(t.createdAt)]);

/**
 * One instant of a send: its recipients (channel names, JSON) and one
 * QStash message. `status` moves from `pending` to `sent` (the delivery
 * claimed it) or `cancelled` by one conditional update each, so a cancel
 * racing a delivery has exactly one winner. `quiet` is false for an
 * instant that quiet hours already deferred once.
 */
export const scheduledInstants = sqliteTable("scheduled_instants", {
  sendId: text("send_id").notNull(),
  key: text("key").notNull(),
  at: integer("at").notNull(),
  recipients: text("recipients").notNull(),
  quiet: integer("quiet", { mode: "boolean" }).notNull(),
  status: text("status", { enum: ["pending", "sent", "cancelled"] }).notNull(),
  doneAt: integer("done_at"),
}, (t) => [primaryKey({ columns: [t.sendId, t.key] })]);

/**
 * Each user recipient of an instant, by user and time: how a user's own
 * one-off sends are found (`GET /v1/users/{id}/upcoming`) without reading
 * every instant's recipient list. Written with its instant, removed with
 * its send.
 */
export const scheduledRecipients = sqliteTable("scheduled_recipients", {
  userId: text("user_id").notNull(),
  at: integer("at").notNull(),
  sendId: text("send_id").notNull(),
  key: text("key").notNull(),
}, (t) => [
  primaryKey({ columns: [t.userId, t.at, t.sendId, t.key] }),
  index("scheduled_recipients_send_idx").on(t.sendId),
]);

/**
 * An open or closed digest (services/delivery/digest_notification.ts): the
 * inbox item posts with the same user, type and key join while it is open
 * — until `closesAt`, or `max` items. `count` doubles as the version a
 * join updates from, so two joins at once both land, one after the other.
 * At most one is open per user, type and key.
 */
export const digests = sqliteTable("digests", {
  id: text("id").primaryKey(),
  userId: text("user_id").notNull(),
  type: text("type").notNull(),
  key: text("key").notNull(),
  notificationId: text("notification_id").notNull(),
  count: integer("count").notNull(),
  /** The first and last ten items, JSON (domain/delivery/digest.ts). */
  items: text("items").notNull(),
  status: text("status", { enum: ["open", "closed"] }).notNull(),
  openedAt: integer("opened_at").notNull(),
  closesAt: integer("closes_at").notNull(),
}, (t) => [
  uniqueIndex("digests_open_idx").on(t.userId, t.type, t.key)
    .where(sql`status = 'open'`),
  index("digests_opened_idx").on(t.openedAt),
]);

/**
 * QStash messages Herald could not publish when it meant to (QStash down or
 * refusing): a webhook event, a batch of pushes. `spec` is the message as
 * the port takes it (JSON); the every-minute maintenance publishes the
 * oldest again and deletes each row QStash took, so a QStash outage delays
 * them and loses none. `attempts` counts the publishes that failed.
 */
export const publishOutbox = sqliteTable("publish_outbox", {
  id: text("id").primaryKey(),
  kind: text("kind").notNull(),
  spec: text("spec").notNull(),
  attempts: integer("attempts").notNull().default(1),
  createdAt: integer("created_at").notNull(),
}, (t) => [index("publish_outbox_created_idx").on(t.createdAt)]);
