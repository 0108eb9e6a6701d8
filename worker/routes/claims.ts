// Purchase tokens and claims. The edge checks run as middleware in this order, cheapest and most
// general first, so the inventory code never sees a request that failed one:
//   session and buyer bucket (401/429) → signature, timestamp, nonce, body size (400/403/413)
//   → event open and not degraded (403/404/423/503) → purchase token (403) → body shape (400)
//   → listing exists (404) → sold-out flag (409 to all but its holders; no object touched, nothing
//   written) → address limit across isolates (429) → buyer object → inventory object.
import { Hono } from "hono";
import { z } from "zod";
import { buyerQuotaOf } from "../../durable-objects/stubs";
import { isoOrNull } from "../../lib/holds";
import { loadEvent, loadListing } from "../catalogue";
import { claimListing, renewSoldOutFlag, soldOut } from "../claim-flow";
import { ApiError } from "../errors";
import type { AppEnv } from "../hono-env";
import { buyerSession, sessionRevoked } from "../middleware/buyer-session";
import { requireOpenEvent } from "../middleware/open-event";
import { requirePurchaseToken } from "../middleware/purchase-token";
import { addressRateLimit, limitAddressAcrossIsolates } from "../middleware/rate-limit";
import { signedRequest } from "../middleware/signed-request";
import { issuePurchaseToken } from "../purchase-token";
import { refusedBySoldOutFlag } from "../sold-out-flags";
import { BUYER_BODY_LIMIT, idSchema, param, parseJson } from "../validation";

export const claimBody = z.strictObject({ listingId: idSchema });

export const claims = new Hono<AppEnv>()
	.post("/:eventId/purchase-token", addressRateLimit(), buyerSession(), requireOpenEvent(), async (c) => {
		const session = c.get("session");
		if (!(await buyerQuotaOf(c.env, session.eventId, session.buyerId).isSessionCurrent(session.sessionId))) {
			throw sessionRevoked();
		}
		const expiresAt = Date.now() + Number(c.env.PURCHASE_TOKEN_TTL_SECONDS) * 1000;
		const purchaseToken = await issuePurchaseToken(c.env.SESSION_SECRET, { ...session, expiresAt });
		return c.json({ purchaseToken, expiresAt: new Date(expiresAt).toISOString() });
	})
	.post(
		"/:eventId/claims",
		buyerSession(),
		signedRequest({ bodyLimit: BUYER_BODY_LIMIT }),
		requireOpenEvent(),
		requirePurchaseToken(),
		async (c) => {
			const eventId = param(c, "eventId");
			const { body, nonce } = c.get("signed");
			const { listingId } = parseJson(body, claimBody);
			const session = c.get("session");
			const event = await loadEvent(c.env, eventId);
			const listing = await loadListing(c.env, eventId, listingId);
			if (!event || !listing) throw new ApiError("not_found", `No listing ${listingId} in event ${eventId}.`);
			// Most of the crowd at the opening is answered here, from memory, asking no object. A buyer
			// who held a unit of it when it sold out goes on to the objects, which answer exactly (200
			// with the hold, or a fresh claim if it has since been released).
			const renew = () => c.executionCtx.waitUntil(renewSoldOutFlag(c.env, eventId, listingId));
			if (refusedBySoldOutFlag(eventId, listingId, session.buyerId, renew)) throw soldOut();

			await limitAddressAcrossIsolates(c);
			const attempt = { sessionId: session.sessionId, nonce, claimsPer10s: Number(c.env.BUYER_CLAIMS_PER_10S) };
			const result = await claimListing(c.env, c.executionCtx, {
				terms: {
					eventId,
					listingId,
					stock: listing.stock,
					priceCents: listing.priceCents,
					holdSeconds: event.holdSeconds,
				},
				buyerId: session.buyerId,
				attempt,
				perBuyerLimit: event.perBuyerLimit,
				leaseMs: Number(c.env.RESERVATION_LEASE_SECONDS) * 1000,
			});
			return c.json(holdBody(result.hold), result.created ? 201 : 200);
		},
	);

function holdBody(hold: { holdId: string; listingId: string; status: string; expiresAt: number | null }) {
	return { holdId: hold.holdId, listingId: hold.listingId, status: hold.status, expiresAt: isoOrNull(hold.expiresAt) };
}
