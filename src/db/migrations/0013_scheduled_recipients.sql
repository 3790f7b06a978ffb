CREATE TABLE `scheduled_recipients` (
	`user_id` text NOT NULL,
	`at` integer NOT NULL,
	`send_id` text NOT NULL,
	`key` text NOT NULL,
	PRIMARY KEY(`user_id`, `at`, `send_id`, `key`)
);
--> statement-breakpoint
CREATE INDEX `scheduled_recipients_send_idx` ON `scheduled_recipients` (`send_id`);