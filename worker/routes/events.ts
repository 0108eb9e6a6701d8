// Public, cacheable reads of an event and its catalogue.
import { Hono } from "hono";
import { listingsWithAvailability, loadEvent, publicEvent } from "../catalogue";
import { ApiError } from "../errors";
import type { AppEnv } from "../hono-env";
import { param } from "../validation";

export const publicEvents = new Hono<AppEnv>()
	.get("/:eventId", async (c) => {
		const eventId = param(c, "eventId");
		const event = await loadEvent(c.env, eventId);
		if (!event) throw new ApiError("not_found", `No event ${eventId}.`);
		c.header("cache-control", "public, max-age=1");
		return c.json({ event: publicEvent(event), serverTime: new Date().toISOString() });
	})
	.get("/:eventId/listings", async (c) => {
		const eventId = param(c, "eventId");
		if (!(await loadEvent(c.env, eventId))) throw new ApiError("not_found", `No event ${eventId}.`);
		c.header("cache-control", "public, max-age=1");
		return c.json(await listingsWithAvailability(c.env, eventId));
	});
