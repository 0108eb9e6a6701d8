// Operator view of an event's parity: its inventory objects (who holds what) against D1's orders
// (what the export and the reports read). Mounted under /api/admin/events. Read-only: the Cron
// reconciler is what repairs a gap; this shows whether there is one (`npm run parity`).
import { Hono } from "hono";
import { listingsOf } from "../../db/listings";
import { eventParity } from "../../reconciler/parity";
import type { AppEnv } from "../http/app-env";
import { requireEvent } from "../middleware/require-event";

export const adminParity = new Hono<AppEnv>().get("/:eventId/parity", requireEvent({ fresh: true }), async (c) => {
	const eventId = c.get("event").id;
	const listingIds = (await listingsOf(c.env, eventId)).map((l) => l.id).sort();
	return c.json(await eventParity(c.env, eventId, listingIds));
});
