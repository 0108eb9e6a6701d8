// The demand heat map of an event's wish lists (API.md v1.1): for each listing, how many wish lists
// name it and how many put it first. Read from D1's copy of the lists (db/wishlists.ts), which trails
// the buyers' objects by at most one failed write (retried by each object's alarm).
import { Hono } from "hono";
import { wishHeat } from "../../db/wishlists";
import type { AppEnv } from "../http/app-env";
import { requireEvent } from "../middleware/require-event";

export const adminWishes = new Hono<AppEnv>().get("/:eventId/wishes", requireEvent({ fresh: true }), async (c) =>
	c.json({ listings: await wishHeat(c.env, c.get("event").id) }),
);
