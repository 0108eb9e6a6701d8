-- Unit details for the buyer page (issue 13): an optional floor plan image and the unit's orientation
-- (朝向). Both nullable: a listing imported without them simply has none.
ALTER TABLE `listings` ADD `floor_plan_url` text;--> statement-breakpoint
ALTER TABLE `listings` ADD `orientation` text;
