-- Issue 13: the operator's message to every buyer of an event (why the sale is paused, when it
-- resumes). One current announcement per event; its history is in the event's ledger.
ALTER TABLE `events` ADD `announcement_text` text;--> statement-breakpoint
ALTER TABLE `events` ADD `announcement_posted_at` text;
