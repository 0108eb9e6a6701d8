// Claiming a unit. Edge checks run as middleware in front of the handler (session now; purchase
// token, signature and rate limits slot in the same way), so the inventory code never sees a request
// that failed one.
import { Hono } from "hono";
import { z } from "zod";
import { isoOrNull } from "../../lib/holds";
import { loadEvent, loadListing } from "../catalogue";
import { claimListing } from "../claim-flow";
import { ApiError } from "../errors";
import type { AppEnv } from "../hono-env";
import { buyerSession } from "../middleware/buyer-session";
import { requireOpenEvent } from "../middleware/open-event";
import { BUYER_BODY_LIMIT, idSchema, param, readJson } from "../validation";

const claimBody = z.strictObject({ listingId: idSchema });

export const claims = new Hono<AppEnv>().post("/:eventId/claims", buyerSession(), requireOpenEvent(), async (c) => {
	const eventId = param(c, "eventId");
	const { listingId } = await readJson(c, claimBody, BUYER_BODY_LIMIT);
	const session = c.get("session");
	const event = await loadEvent(c.env, eventId);
	const listing = await loadListing(c.env, eventId, listingId);
	if (!event || !listing) throw new ApiError("not_found", `No listing ${listingId} in event ${eventId}.`);
	const result = await claimListing(c.env, c.executionCtx, {
		terms: {
			eventId,
			listingId,
			stock: listing.stock,
			priceCents: listing.priceCents,
			holdSeconds: event.holdSeconds,
		},
		buyerId: session.buyerId,
		sessionId: session.sessionId,
		perBuyerLimit: event.perBuyerLimit,
		leaseMs: Number(c.env.RESERVATION_LEASE_SECONDS) * 1000,
	});
	return c.json(
		{
			holdId: result.hold.holdId,
			listingId: result.hold.listingId,
			status: result.hold.status,
			expiresAt: isoOrNull(result.hold.expiresAt),
		},
		result.created ? 201 : 200,
	);
});
