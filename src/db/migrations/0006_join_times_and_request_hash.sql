ALTER TABLE `memberships` RENAME COLUMN "updated_at" TO "joined_at";--> statement-breakpoint
ALTER TABLE `notifications` ADD `request_hash` text;