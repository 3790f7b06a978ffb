CREATE TABLE `digests` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`type` text NOT NULL,
	`key` text NOT NULL,
	`notification_id` text NOT NULL,
	`count` integer NOT NULL,
	`items` text NOT NULL,
	`status` text NOT NULL,
	`opened_at` integer NOT NULL,
	`closes_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `digests_open_idx` ON `digests` (`user_id`,`type`,`key`) WHERE status = 'open';--> statement-breakpoint
CREATE INDEX `digests_opened_idx` ON `digests` (`opened_at`);--> statement-breakpoint
CREATE TABLE `scheduled_instants` (
	`send_id` text NOT NULL,
	`key` text NOT NULL,
	`at` integer NOT NULL,
	`recipients` text NOT NULL,
	`quiet` integer NOT NULL,
	`status` text NOT NULL,
	`done_at` integer,
	PRIMARY KEY(`send_id`, `key`)
);
--> statement-breakpoint
CREATE TABLE `scheduled_sends` (
	`id` text PRIMARY KEY NOT NULL,
	`deliver_at` text NOT NULL,
	`if_past` text NOT NULL,
	`content` text NOT NULL,
	`skipped` text NOT NULL,
	`idempotency_key` text,
	`request_hash` text,
	`cancelled_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `scheduled_sends_idempotency_key_unique` ON `scheduled_sends` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `scheduled_sends_created_idx` ON `scheduled_sends` (`created_at`);--> statement-breakpoint
ALTER TABLE `notification_audiences` ADD `expires_at` integer;--> statement-breakpoint
ALTER TABLE `notifications` ADD `expires_at` integer;--> statement-breakpoint
CREATE INDEX `notifications_expires_idx` ON `notifications` (`expires_at`);