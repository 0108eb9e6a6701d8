// The shuffle window of a race event (docs/FAIRNESS.md "The shuffle window"): the claims that reach a
// listing before the window ends are served in the order of their buyers' tickets, drawn exactly as the
// lottery's (lib/draw.ts: ticket = SHA-256(seed + "\n" + beacon + "\n" + buyerId), smallest first, ties
// by id), so arrival order — and with it the distance to the listing's object — decides nothing inside
// the window. Pure: the listing object runs it, and so can anyone with the published seed and claims.
import { compareCodeUnits, compareEntries, ticketOf } from "./draw";

/** A claim collected in the window: the hold id it asked for and its buyer. */
export interface CollectedClaim {
	holdId: string;
	buyerId: string;
	ticket: string;
}

/** The ticket of one buyer in the window (the lottery's, with the window's seed and beacon). */
export function shuffleTicket(seed: string, beacon: string, buyerId: string): Promise<string> {
	return ticketOf(seed, beacon, buyerId);
}

/**
 * The order the collected claims are served in: tickets ascending, then buyer id (compareEntries), then
 * hold id (two tabs of one buyer: the same ticket; which goes first changes nothing, the second finds
 * the buyer's hold). A copy; the input is not changed.
 */
export function serviceOrder<T extends CollectedClaim>(claims: readonly T[]): T[] {
	return [...claims].sort(
		(a, b) =>
			compareEntries({ id: a.buyerId, ticket: a.ticket }, { id: b.buyerId, ticket: b.ticket }) ||
			compareCodeUnits(a.holdId, b.holdId),
	);
}
