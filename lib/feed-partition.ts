// Which of an event's K live-feed inputs a listing belongs to (docs/LIVE.md "Scale"). Every pusher (the
// listing objects' fast path, the orders consumer) and every reader of a partition (the input's own D1
// re-read) calls this one function, so a listing's changes always reach the same input: a listing's
// state is then numbered by one input only, and a copy can compare the numbers of its rows.
//
// K is a deploy-time setting (LIVE_FEED_INPUTS) that must only change between events: with another K a
// listing would move to another input whose numbers say nothing about the old one's.

/** FNV-1a (32 bit): a stable, even spread of ids; not a secret (anyone may know where an id goes). */
export function stableHash(id: string): number {
	let h = 0x811c9dc5;
	for (let i = 0; i < id.length; i++) {
		h ^= id.charCodeAt(i);
		h = Math.imul(h, 0x01000193);
	}
	return h >>> 0;
}

/** The input (0 … inputs − 1) of `listingId` when the event's feed has `inputs` inputs. */
export function inputOfListing(listingId: string, inputs: number): number {
	if (!Number.isInteger(inputs) || inputs < 1) throw new Error(`a feed has at least one input; got ${inputs}`);
	return stableHash(listingId) % inputs;
}
