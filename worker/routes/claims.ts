// Purchase tokens and claims. A claim passes these steps in order, cheapest and most general first,
// so the objects never see a request that failed one (README "Follow one claim"):
//   buyerSession (401, buyer bucket 429) → signedRequest (400/403/413) → requireOpenEvent
//   (403/404/423/503) → requireTurn (lottery: 423 not_your_turn) → requirePurchaseToken (403) → claimTarget (400/404) → soldOutGate (409 from
//   memory or the location's sold-out set, nothing written) → firstWaveBudget (503, one forward per unit
//   per window) → addressRateLimit across isolates (429) → claimListing: the buyer
//   object, which runs the claim against the listing's inventory object (protocol v2).
import { Hono } from "hono";
import { buyerQuotaOf } from "../../durable-objects/addresses";
import { claimListing } from "../claim/claim-flow";
import { claimTarget } from "../claim/claim-target";
import { firstWaveBudget } from "../claim/first-wave-budget";
import { soldOutGate } from "../claim/sold-out-gate";
import { shuffleClaimOptions } from "../fairness/shuffle-window";
import { buyerHoldView } from "../holds/hold-views";
import type { AppEnv } from "../http/app-env";
import { sessionRevoked } from "../http/errors";
import { BUYER_BODY_LIMIT } from "../http/validation";
import { requireTurn } from "../lottery/turn";
import { buyerSession } from "../middleware/buyer-session";
import { addressRateLimit } from "../middleware/rate-limit";
import { requireOpenEvent } from "../middleware/require-open-event";
import { requirePurchaseToken } from "../middleware/require-purchase-token";
import { signedRequest, spendNonce } from "../middleware/signed-request";
import { issuePurchaseToken } from "../tokens/purchase-token";

export const claims = new Hono<AppEnv>()
	.post(
		"/:eventId/purchase-token",
		addressRateLimit(),
		buyerSession(),
		requireOpenEvent(),
		requireTurn(),
		async (c) => {
			const session = c.get("session");
			if (!(await buyerQuotaOf(c.env, session.eventId, session.buyerId).isSessionCurrent(session.sessionId))) {
				throw sessionRevoked();
			}
			const expiresAt = Date.now() + Number(c.env.PURCHASE_TOKEN_TTL_SECONDS) * 1000;
			const purchaseToken = await issuePurchaseToken(c.env.SESSION_SECRET, { ...session, expiresAt });
			return c.json({ purchaseToken, expiresAt: new Date(expiresAt).toISOString() });
		},
	)
	.post(
		"/:eventId/claims",
		buyerSession(),
		signedRequest({ bodyLimit: BUYER_BODY_LIMIT }),
		requireOpenEvent(),
		requireTurn(),
		requirePurchaseToken(),
		claimTarget(),
		soldOutGate(),
		firstWaveBudget(),
		addressRateLimit(),
		spendNonce(),
		async (c) => {
			const { event, listing, session } = c.var;
			const result = await claimListing(
				c.env,
				{
					eventId: event.id,
					listingId: listing.id,
					buyerId: session.buyerId,
					attempt: {
						sessionId: session.sessionId,
						nonce: c.get("signed").nonce,
						claimsPer10s: Number(c.env.BUYER_CLAIMS_PER_10S),
					},
					// Inside a shuffle window the claim waits for the window's end (docs/FAIRNESS.md).
					...shuffleClaimOptions(event, Number(c.env.RESERVATION_LEASE_SECONDS) * 1000),
					// Lottery: the buyer object refuses the claim before this moment too (guarantee 8).
					...(c.var.notBefore === undefined ? {} : { notBefore: c.var.notBefore }),
					// A frozen copy of the rules is exact however old (db/terms.ts): it spares the buyer's first
					// claim a D1 round trip. An unfrozen copy may be stale, so the buyer object reads D1 itself.
					...(event.termsFrozenAt ? { frozenRules: { perBuyerLimit: event.perBuyerLimit } } : {}),
				},
				(work) => c.executionCtx.waitUntil(work),
			);
			return c.json(buyerHoldView(result.hold), result.created ? 201 : 200);
		},
	);
