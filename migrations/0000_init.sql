CREATE TABLE `buyers` (
	`event_id` text NOT NULL,
	`id` text NOT NULL,
	`name` text,
	`phone` text,
	`access_code_hash` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`event_id`, `id`)
);
--> statement-breakpoint
CREATE TABLE `events` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`starts_at` text NOT NULL,
	`ends_at` text NOT NULL,
	`hold_seconds` integer NOT NULL,
	`per_buyer_limit` integer NOT NULL,
	`currency` text NOT NULL,
	`status_mode` text DEFAULT 'auto' NOT NULL,
	`opened_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `listings` (
	`event_id` text NOT NULL,
	`id` text NOT NULL,
	`building` text NOT NULL,
	`floor` integer NOT NULL,
	`unit` text NOT NULL,
	`layout` text NOT NULL,
	`area_m2` real NOT NULL,
	`price_cents` integer NOT NULL,
	`stock` integer NOT NULL,
	PRIMARY KEY(`event_id`, `id`)
);
--> statement-breakpoint
CREATE TABLE `notifications` (
	`id` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`buyer_id` text NOT NULL,
	`hold_id` text NOT NULL,
	`kind` text NOT NULL,
	`phone` text,
	`body` text NOT NULL,
	`provider` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `notifications_event_created` ON `notifications` (`event_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `orders` (
	`hold_id` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`listing_id` text NOT NULL,
	`buyer_id` text NOT NULL,
	`status` text NOT NULL,
	`price_cents` integer NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`version` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `orders_event_created` ON `orders` (`event_id`,`created_at`,`hold_id`);--> statement-breakpoint
CREATE INDEX `orders_event_listing` ON `orders` (`event_id`,`listing_id`,`status`);