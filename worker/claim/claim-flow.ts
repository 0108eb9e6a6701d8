// The claim from the edge (protocol v2, docs/PROTOCOL.md): one call to the buyer's object, which runs
// the buyer's claims one at a time — a pending row, the listing's inventory object, then the settle —
// and answers with the outcome. The edge maps that outcome onto API.md's answers and keeps its
// sold-out flags (worker/hot-reads/sold-out-flags.ts) from what the inventory said. The request names
// the listing only: its terms and the buyer's limit come from D1 through the objects, never from this
// isolate's catalogue copy, which may be a second or two old.

import { buyerQuotaOf } from "../../durable-objects/addresses";
import {
	type BuyerHold,
	type ClaimOptions,
	INVENTORY_WAIT_MS,
	type SignedAttempt,
} from "../../durable-objects/buyer-quota";
import { withinTime } from "../../lib/within-time";
import { publishSoldOut } from "../hot-reads/sold-out-colo";
import { markSoldOut } from "../hot-reads/sold-out-flags";
import { ApiError, overloaded, refusalError, soldOut } from "../http/errors";
import { notYourTurn } from "../lottery/turn";

export interface ClaimRequest extends ClaimOptions {
	eventId: string;
	listingId: string;
	buyerId: string;
	attempt: SignedAttempt;
}

export interface ClaimResult {
	created: boolean;
	hold: BuyerHold;
}

/**
 * A saturated unit answers 503 overloaded instead of a hang. The buyer object answers `overloaded`
 * itself before this (INVENTORY_WAIT_MS); this bound is for a buyer object that does not answer at
 * all. Either way the claim may still land afterwards; the buyer object settles it when it does.
 */
export const CLAIM_TIMEOUT_MS = 3_000;

let forwarded = 0;

/** Tests: how many claims this isolate sent on towards the objects. */
export function forwardedClaimsForTests(): number {
	return forwarded;
}

/**
 * `waitUntil` keeps the sharing of a new sold-out flag with the location (sold-out-colo.ts) alive
 * after the answer; without it the flag stays this isolate's.
 */
export async function claimListing(
	env: Env,
	req: ClaimRequest,
	waitUntil?: (work: Promise<unknown>) => void,
): Promise<ClaimResult> {
	const { eventId, listingId, attempt, leaseMs, frozenRules, notBefore, inventoryWaitMs } = req;
	forwarded += 1;
	const buyer = buyerQuotaOf(env, eventId, req.buyerId);
	const outcome = await withinTime(
		(async () =>
			buyer.claim(attempt, listingId, {
				leaseMs,
				...(frozenRules ? { frozenRules } : {}),
				...(notBefore === undefined ? {} : { notBefore }),
				...(inventoryWaitMs === undefined ? {} : { inventoryWaitMs }),
			}))(),
		// A shuffle window's claim is answered when the window ends (worker/fairness/shuffle-window.ts).
		inventoryWaitMs === undefined ? CLAIM_TIMEOUT_MS : inventoryWaitMs + (CLAIM_TIMEOUT_MS - INVENTORY_WAIT_MS),
	).catch((err: unknown) => {
		console.warn("claim did not complete", { eventId, listingId, error: String(err) });
		throw overloaded();
	});
	switch (outcome.kind) {
		case "session_revoked":
		case "replayed_nonce":
		case "rate_limited":
			throw refusalError(outcome);
		case "limit_reached":
			throw new ApiError("limit_reached", `You already hold ${outcome.perBuyerLimit} unit(s) of this event.`);
		case "held":
			if (outcome.soldOutTo) {
				markSoldOut(eventId, listingId, outcome.soldOutTo);
				waitUntil?.(publishSoldOut(eventId, listingId));
			}
			return { created: outcome.created, hold: outcome.hold };
		case "sold_out":
			markSoldOut(eventId, listingId, outcome.soldOutTo);
			waitUntil?.(publishSoldOut(eventId, listingId));
			throw soldOut();
		case "overloaded":
			throw overloaded();
		case "not_found":
			throw new ApiError("not_found", `No listing ${listingId} in event ${eventId}.`);
		case "not_your_turn":
			throw notYourTurn(outcome.entryAt);
	}
}
