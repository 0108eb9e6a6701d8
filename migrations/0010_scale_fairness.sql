-- Issue 14 (docs/SCALE.md fix 1, docs/FAIRNESS.md "The shuffle window"): where the event's objects are
-- placed (a Durable Object location hint, null: near their first caller) and when they were prepared.
ALTER TABLE `events` ADD `region` text;--> statement-breakpoint
ALTER TABLE `events` ADD `prepared_at` text;
