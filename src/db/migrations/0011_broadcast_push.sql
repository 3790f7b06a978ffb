CREATE TABLE `broadcast_reached` (
	`notification_id` text NOT NULL,
	`user_id` text NOT NULL,
	PRIMARY KEY(`notification_id`, `user_id`)
);
--> statement-breakpoint
DROP INDEX `memberships_channel_idx`;--> statement-breakpoint
CREATE INDEX `memberships_channel_idx` ON `memberships` (`channel`,`user_id`);--> statement-breakpoint
ALTER TABLE `notifications` ADD `live_count` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `notifications` ADD `push_count` integer DEFAULT 0 NOT NULL;