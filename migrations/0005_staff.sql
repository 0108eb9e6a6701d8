CREATE TABLE `staff` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`token_hash` text NOT NULL,
	`created_at` text NOT NULL,
	`revoked_at` text,
	`created_by` text NOT NULL,
	`revoked_by` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `staff_token_hash` ON `staff` (`token_hash`);