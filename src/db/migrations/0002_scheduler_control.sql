CREATE TABLE `daily_stats` (
	`day` text NOT NULL,
	`type` text NOT NULL,
	`sent` integer NOT NULL,
	`read` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`day`, `type`)
);
--> statement-breakpoint
CREATE TABLE `job_run_failures` (
	`run_id` text NOT NULL,
	`user_id` text NOT NULL,
	`attempts` integer NOT NULL,
	`error` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`run_id`, `user_id`)
);
--> statement-breakpoint
CREATE TABLE `job_run_pages` (
	`run_id` text NOT NULL,
	`page` integer NOT NULL,
	`users` integer NOT NULL,
	PRIMARY KEY(`run_id`, `page`)
);
--> statement-breakpoint
CREATE TABLE `job_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`job_id` text NOT NULL,
	`trigger` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 1 NOT NULL,
	`lease_until` integer,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`result` text,
	`error` text,
	`pages` integer DEFAULT 0 NOT NULL,
	`last_page` integer,
	`published` integer DEFAULT 0 NOT NULL,
	`delivered` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `job_runs_job_idx` ON `job_runs` (`job_id`,`started_at`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`trigger` text NOT NULL,
	`target` text NOT NULL,
	`run_at_startup` integer NOT NULL,
	`sync_status` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `metrics` (
	`name` text NOT NULL,
	`labels` text NOT NULL,
	`value` integer NOT NULL,
	PRIMARY KEY(`name`, `labels`)
);
--> statement-breakpoint
CREATE TABLE `scheduler_operations` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`phase` text NOT NULL,
	`cursor` text,
	`pages` integer DEFAULT 0 NOT NULL,
	`users` integer DEFAULT 0 NOT NULL,
	`created` integer DEFAULT 0 NOT NULL,
	`updated` integer DEFAULT 0 NOT NULL,
	`deleted` integer DEFAULT 0 NOT NULL,
	`unchanged` integer DEFAULT 0 NOT NULL,
	`paused` integer DEFAULT 0 NOT NULL,
	`resumed` integer DEFAULT 0 NOT NULL,
	`ledger_fixed` integer DEFAULT 0 NOT NULL,
	`error` text,
	`lease_until` integer,
	`started_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE INDEX `operations_kind_idx` ON `scheduler_operations` (`kind`,`started_at`);--> statement-breakpoint
CREATE TABLE `scheduler_state` (
	`id` integer PRIMARY KEY NOT NULL,
	`running` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `startup_marks` (
	`marker` text PRIMARY KEY NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
DROP INDEX `preferences_active_idx`;--> statement-breakpoint
CREATE INDEX `preferences_active_idx` ON `preferences` (`active`,`user_id`);--> statement-breakpoint
ALTER TABLE `schedules` ADD `paused` integer DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX `reads_notification_idx` ON `notification_reads` (`notification_id`);--> statement-breakpoint
CREATE INDEX `reads_time_idx` ON `notification_reads` (`read_at`);--> statement-breakpoint
CREATE INDEX `notifications_created_idx` ON `notifications` (`created_at`);