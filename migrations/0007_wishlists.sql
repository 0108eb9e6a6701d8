CREATE TABLE `wishlists` (
	`event_id` text NOT NULL,
	`buyer_id` text NOT NULL,
	`listing_ids` text NOT NULL,
	`auto_claim` integer NOT NULL,
	`version` integer NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`event_id`, `buyer_id`)
);
--> statement-breakpoint
CREATE INDEX `wishlists_auto` ON `wishlists` (`event_id`,`auto_claim`);--> statement-breakpoint
ALTER TABLE `events` ADD `auto_claim_delay_seconds` integer DEFAULT 30 NOT NULL;--> statement-breakpoint
ALTER TABLE `events` ADD `rehearsal_of` text;