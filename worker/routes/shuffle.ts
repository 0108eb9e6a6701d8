// The shuffle window over HTTP (docs/FAIRNESS.md "The shuffle window", docs/API.md): anyone may read
// an event's commitment before the opening and, once the window ended, its seed and beacon and the
// order in which a listing's collected claims were served — everything needed to recompute it.
import { Hono } from "hono";
import { z } from "zod";
import { listingInventoryOf } from "../../durable-objects/addresses";
import { shuffleWindowEndsAt } from "../fairness/shuffle-window";
import type { AppEnv } from "../http/app-env";
import { ApiError } from "../http/errors";
import { idSchema, validate } from "../http/validation";
import { requireEvent } from "../middleware/require-event";

export const shuffleQuery = z.strictObject({ listingId: idSchema.optional() });

/** Mounted under /api/events (public). */
export const publicShuffle = new Hono<AppEnv>().get("/:eventId/shuffle", requireEvent(), async (c) => {
	const event = c.get("event");
	const { listingId } = validate(shuffleQuery, c.req.query(), "query");
	const endsAt = shuffleWindowEndsAt(event);
	const ended = endsAt !== null && Date.now() >= endsAt;
	let listing = null;
	if (listingId !== undefined) {
		if (!ended) throw new ApiError("not_found", "The window has not ended: its order is not published yet.");
		const order = await listingInventoryOf(c.env, event.id, listingId).shuffleOrder();
		listing = {
			listingId,
			servedAt: order ? new Date(order.servedAt).toISOString() : null,
			claims: (order?.claims ?? []).map((x) => ({
				rank: x.rank,
				buyerId: x.buyerId,
				ticket: x.ticket,
				arrivedAt: new Date(x.arrivedAt).toISOString(),
				outcome: x.outcome,
			})),
		};
	}
	return c.json({
		shuffle: {
			shuffleSeconds: event.shuffleSeconds,
			seedHash: event.shuffleSeedHash,
			windowEndsAt: endsAt === null ? null : new Date(endsAt).toISOString(),
			// Secret until the window ended: nobody may learn the order while it can still be used.
			seed: ended ? event.shuffleSeed : null,
			beacon: ended && event.shuffleSeed !== null ? (event.shuffleBeacon ?? "") : null,
			listing,
		},
	});
});
