// Purchase tokens and claims. The edge checks run as middleware in this order, cheapest and most
// general first, so the inventory code never sees a request that failed one:
//   session and buyer bucket (401/429) → signature, timestamp, nonce, body size (400/403/413)
//   → event open and not degraded (403/404/423/503) → purchase token (403) → body shape (400)
//   → listing exists (404) → sold-out flag (409, no object touched) → buyer object → inventory object.
import { Hono } from "hono";
import { z } from "zod";
import { buyerQuotaOf } from "../../durable-objects/stubs";
import { isoOrNull } from "../../lib/holds";
import { loadEvent, loadListing } from "../catalogue";
import { claimListing, soldOut } from "../claim-flow";
import { ApiError } from "../errors";
import type { AppEnv } from "../hono-env";
import { buyerSession, refusalError, sessionRevoked } from "../middleware/buyer-session";
import { requireOpenEvent } from "../middleware/open-event";
import { requirePurchaseToken } from "../middleware/purchase-token";
import { signedRequest } from "../middleware/signed-request";
import { issuePurchaseToken } from "../purchase-token";
import { knownSoldOut } from "../sold-out-flags";
import { BUYER_BODY_LIMIT, idSchema, param, parseJson } from "../validation";

const claimBody = z.strictObject({ listingId: idSchema });

export const claims = new Hono<AppEnv>()
	.post("/:eventId/purchase-token", buyerSession(), requireOpenEvent(), async (c) => {
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
			const attempt = {
				sessionId: session.sessionId,
				nonce,
				claimsPer10s: Number(c.env.BUYER_CLAIMS_PER_10S),
			};
			if (knownSoldOut(eventId, listingId)) {
				// The listing's object is spared; the buyer's object still vets the request and may
				// recognise its own hold (a retry answers 200, not 409).
				const verdict = await buyerQuotaOf(c.env, eventId, session.buyerId).admitSoldOutClaim(attempt, listingId);
				if (verdict.kind === "sold_out") throw soldOut();
				if (verdict.kind !== "already_held") throw refusalError(verdict);
				return c.json(holdBody(verdict.hold), 200);
			}

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
