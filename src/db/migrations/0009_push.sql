CREATE TABLE `push_subscriptions` (
	`endpoint` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`p256dh` text NOT NULL,
	`auth` text NOT NULL,
	`label` text,
	`expiration_time` integer,
	`created_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `push_subscriptions_user_idx` ON `push_subscriptions` (`user_id`,`last_seen_at`);--> statement-breakpoint
CREATE INDEX `push_subscriptions_seen_idx` ON `push_subscriptions` (`last_seen_at`);--> statement-breakpoint
ALTER TABLE `notifications` ADD `push` text;