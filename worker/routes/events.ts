// Public, cacheable reads of an event and its catalogue.
import { Hono } from "hono";
import { listingsWithAvailability, publicEvent } from "../hot-reads/catalogue";
import type { AppEnv } from "../http/app-env";
import { drawView } from "../lottery/draw-view";
import { requireEvent } from "../middleware/require-event";

export const publicEvents = new Hono<AppEnv>()
	.get("/:eventId", requireEvent(), async (c) => {
		c.header("cache-control", "public, max-age=1");
		return c.json({ event: publicEvent(c.get("event")), serverTime: new Date().toISOString() });
	})
	.get("/:eventId/listings", requireEvent(), async (c) => {
		c.header("cache-control", "public, max-age=1");
		return c.json(await listingsWithAvailability(c.env, c.get("event").id));
	})
	// API.md v1.1: the lottery draw, for anyone to check (scripts/verify-draw.mts recomputes it).
	.get("/:eventId/draw", requireEvent(), async (c) => {
		c.header("cache-control", "public, max-age=1");
		return c.json({ draw: await drawView(c.env, c.get("event")) });
	});
