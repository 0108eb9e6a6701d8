// The claim protocol between the buyer's quota object and the listing's inventory object
// (docs/PROTOCOL.md). Three steps, each safe to die after:
//   1. reserve  — BuyerQuota counts a pending hold id against the limit (durable);
//   2. claim    — ListingInventory grants that hold id or answers sold out;
//   3. settle   — BuyerQuota adopts the hold or frees the reservation.
// A reservation that never settles is reconciled by the buyer object's alarm (or at once when the
// claim call failed): it asks the inventory object to resolve the hold id, which either returns the
// hold or fences the id so that a late claim can never grant it.

import { buyerQuotaOf, listingInventoryOf } from "../../durable-objects/addresses";
import type { SignedAttempt } from "../../durable-objects/buyer-quota";
import type { ClaimOutcome, ListingTerms } from "../../durable-objects/listing-inventory";
import { markSoldOut } from "../hot-reads/sold-out-flags";
import { ApiError, overloaded, refusalError, soldOut } from "../http/errors";

export interface ClaimRequest {
	terms: ListingTerms;
	buyerId: string;
	attempt: SignedAttempt;
	perBuyerLimit: number;
	leaseMs: number;
}

export interface ClaimResult {
	created: boolean;
	hold: { holdId: string; listingId: string; status: string; expiresAt: number | null };
}

/**
 * A saturated unit answers 503 overloaded instead of a hang. The claim may still land afterwards;
 * the reconciliation below then adopts it, or fences its hold id first (docs/PROTOCOL.md).
 */
export const CLAIM_TIMEOUT_MS = 3_000;

function withinTime<T>(promise: Promise<T>, ms: number): Promise<T> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
	});
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Only what the flow needs of an ExecutionContext (Hono's and the runtime's types differ). */
interface WaitUntil {
	waitUntil(promise: Promise<unknown>): void;
}

export async function claimListing(env: Env, ctx: WaitUntil, req: ClaimRequest): Promise<ClaimResult> {
	const { eventId, listingId } = req.terms;
	const buyer = buyerQuotaOf(env, eventId, req.buyerId);
	const reservation = await buyer.reserve(req.attempt, listingId, req.perBuyerLimit, req.leaseMs);
	switch (reservation.kind) {
		case "session_revoked":
		case "replayed_nonce":
		case "rate_limited":
			throw refusalError(reservation);
		case "limit_reached":
			throw new ApiError("limit_reached", `You already hold ${req.perBuyerLimit} unit(s) of this event.`);
		case "already_held":
			return { created: false, hold: reservation.hold };
		case "reserved":
			break;
	}

	const holdId = reservation.holdId;
	let outcome: ClaimOutcome;
	try {
		const inventory = listingInventoryOf(env, eventId, listingId);
		const claimed = (async (): Promise<ClaimOutcome> => inventory.claim(req.terms, holdId, req.buyerId))();
		outcome = await withinTime(claimed, CLAIM_TIMEOUT_MS);
	} catch (err) {
		// The claim may or may not have landed: let the buyer object find out now instead of at lease end.
		console.warn("claim did not complete", { eventId, listingId, error: String(err) });
		ctx.waitUntil(buyer.reconcile(holdId).catch(() => undefined));
		throw overloaded();
	}

	try {
		await buyer.settle(holdId, outcome);
	} catch (err) {
		// The grant stands; the buyer object's alarm adopts it when the reservation's lease ends.
		console.warn("settle failed; reconciliation will adopt the outcome", { holdId, error: String(err) });
	}

	switch (outcome.kind) {
		case "granted":
			if (outcome.soldOutTo) markSoldOut(eventId, listingId, outcome.soldOutTo);
			return { created: outcome.created, hold: outcome.hold };
		case "sold_out":
			markSoldOut(eventId, listingId, outcome.soldOutTo);
			throw soldOut();
		case "fenced":
			throw overloaded();
	}
}
