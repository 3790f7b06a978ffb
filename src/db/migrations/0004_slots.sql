CREATE TABLE `slot_failures` (
	`slot` text NOT NULL,
	`fired_at` integer NOT NULL,
	`member_id` text NOT NULL,
	`error` text NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`slot`, `fired_at`, `member_id`)
);
--> statement-breakpoint
CREATE TABLE `slot_members` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`type` text NOT NULL,
	`local_time` text NOT NULL,
	`slot` text NOT NULL,
	`since` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `slot_members_user_idx` ON `slot_members` (`user_id`);--> statement-breakpoint
CREATE INDEX `slot_members_slot_idx` ON `slot_members` (`slot`,`id`);--> statement-breakpoint
CREATE TABLE `slots` (
	`slot` text PRIMARY KEY NOT NULL,
	`lease_id` text,
	`lease_until` integer
);
