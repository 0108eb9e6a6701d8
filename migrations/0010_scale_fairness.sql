-- Issue 14 (docs/SCALE.md fix 1, docs/FAIRNESS.md "The shuffle window"): where the event's objects are
-- placed (a Durable Object location hint, null: near their first caller) and when they were prepared.
ALTER TABLE `events` ADD `region` text;--> statement-breakpoint
ALTER TABLE `events` ADD `prepared_at` text;
--> statement-breakpoint
-- The shuffle window of a race event (docs/FAIRNESS.md): claims that reach a listing in the first
-- shuffle_seconds are served in an order drawn from a committed seed, not in arrival order.
ALTER TABLE `events` ADD `shuffle_seconds` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `events` ADD `shuffle_seed_hash` text;--> statement-breakpoint
ALTER TABLE `events` ADD `shuffle_seed` text;--> statement-breakpoint
ALTER TABLE `events` ADD `shuffle_beacon` text;
