CREATE TABLE `preferences` (
	`user_id` text PRIMARY KEY NOT NULL,
	`version` integer NOT NULL,
	`data` text NOT NULL,
	`active` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`synced_version` integer DEFAULT 0 NOT NULL,
	`sync_status` text DEFAULT 'pending' NOT NULL,
	`sync_attempts` integer DEFAULT 0 NOT NULL,
	`next_sync_at` integer,
	`sync_error` text,
	`lease_id` text,
	`lease_until` integer
);
--> statement-breakpoint
CREATE INDEX `preferences_sync_idx` ON `preferences` (`sync_status`,`next_sync_at`);--> statement-breakpoint
CREATE INDEX `preferences_active_idx` ON `preferences` (`active`);--> statement-breakpoint
CREATE TABLE `schedules` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text,
	`type` text NOT NULL,
	`local_time` text,
	`cron` text NOT NULL,
	`destination` text NOT NULL,
	`body` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `schedules_user_idx` ON `schedules` (`user_id`);