// Holds as the API shows them: the buyer's view (claims, /api/me/holds, cancel) and the staff view
// (confirm, release), each written once, and a transition's refusal as its API error.
import type { Hold } from "../../client/kaipan-client";
import type { TransitionOutcome } from "../../durable-objects/listing-inventory";
import { type HoldRecord, isoOrNull } from "../../lib/hold-record";
import { ApiError } from "../http/errors";

/** What a buyer sees of a hold; anything with these fields (inventory or buyer object) can be shown. */
export function buyerHoldView(
	h: Pick<HoldRecord, "holdId" | "listingId" | "expiresAt"> & { status: string; auto?: boolean },
): Hold {
	const view: Hold = { holdId: h.holdId, listingId: h.listingId, status: h.status, expiresAt: isoOrNull(h.expiresAt) };
	// docs/API.md: a hold auto-claim made says so ("auto": true); others leave the field out.
	return h.auto ? { ...view, auto: true } : view;
}

/** What staff see of a hold: the buyer, the price and its history as well. */
export function staffHoldView(h: HoldRecord) {
	return {
		holdId: h.holdId,
		listingId: h.listingId,
		buyerId: h.buyerId,
		status: h.status,
		priceCents: h.priceCents,
		expiresAt: isoOrNull(h.expiresAt),
		createdAt: new Date(h.createdAt).toISOString(),
		updatedAt: new Date(h.updatedAt).toISOString(),
	};
}

/** The hold a transition (confirm, release, cancel) left, or the API error for why it did nothing. */
export function transitioned(outcome: TransitionOutcome): HoldRecord {
	if (outcome.kind === "not_found") throw new ApiError("not_found", "No such hold.");
	if (outcome.kind === "not_active") {
		throw new ApiError("hold_not_active", `The hold is ${outcome.hold.status}, not held.`, {
			details: { status: outcome.hold.status },
		});
	}
	return outcome.hold;
}
