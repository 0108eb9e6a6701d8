CREATE TABLE `draw_orders` (
	`event_id` text PRIMARY KEY NOT NULL,
	`order_json` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `events` ADD `mode` text DEFAULT 'race' NOT NULL;--> statement-breakpoint
ALTER TABLE `events` ADD `batch_size` integer DEFAULT 10 NOT NULL;--> statement-breakpoint
ALTER TABLE `events` ADD `batch_seconds` integer DEFAULT 300 NOT NULL;--> statement-breakpoint
ALTER TABLE `events` ADD `seed_hash` text;--> statement-breakpoint
ALTER TABLE `events` ADD `committed_at` text;--> statement-breakpoint
ALTER TABLE `events` ADD `buyers_hash` text;--> statement-breakpoint
ALTER TABLE `events` ADD `buyer_count` integer;--> statement-breakpoint
ALTER TABLE `events` ADD `seed` text;--> statement-breakpoint
ALTER TABLE `events` ADD `beacon` text;--> statement-breakpoint
ALTER TABLE `events` ADD `drawn_at` text;