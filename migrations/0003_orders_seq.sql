ALTER TABLE `orders` ADD `seq` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Rows from before this column get their arrival order from the rowid, which until now was exactly
-- that (orders are never deleted, so each rowid was the largest + 1 at its insert).
UPDATE `orders` SET `seq` = `rowid`;--> statement-breakpoint
CREATE UNIQUE INDEX `orders_seq` ON `orders` (`seq`);--> statement-breakpoint
CREATE INDEX `orders_event_seq` ON `orders` (`event_id`,`seq`);
