CREATE TABLE `fanout_outbox` (
	`notification_id` text PRIMARY KEY NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `outbox_due_idx` ON `fanout_outbox` (`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `memberships` (
	`user_id` text NOT NULL,
	`channel` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `channel`)
);
--> statement-breakpoint
CREATE INDEX `memberships_channel_idx` ON `memberships` (`channel`);--> statement-breakpoint
CREATE TABLE `notification_audiences` (
	`notification_id` text NOT NULL,
	`audience` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`notification_id`, `audience`)
);
--> statement-breakpoint
CREATE INDEX `audiences_inbox_idx` ON `notification_audiences` (`audience`,`created_at`,`notification_id`);--> statement-breakpoint
CREATE TABLE `notification_reads` (
	`user_id` text NOT NULL,
	`notification_id` text NOT NULL,
	`read_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `notification_id`)
);
--> statement-breakpoint
CREATE TABLE `notifications` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`title` text NOT NULL,
	`body` text NOT NULL,
	`severity` text NOT NULL,
	`data` text,
	`source` text NOT NULL,
	`idempotency_key` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notifications_idempotency_key_unique` ON `notifications` (`idempotency_key`);