CREATE TABLE `signed_deliveries` (
	`jti` text PRIMARY KEY NOT NULL,
	`run_id` text NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `signed_deliveries_expires_idx` ON `signed_deliveries` (`expires_at`);