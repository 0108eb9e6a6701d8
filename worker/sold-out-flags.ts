// Listings this isolate knows to be sold out, so that the crowd still clicking them is answered 409 at
// the edge without reaching the listing's object. A flag is only ever a shortcut for a refusal: it can
// never grant anything (only the inventory object grants). It lives for SOLD_OUT_FLAG_TTL_MS, so a
// unit freed by expiry or release elsewhere is claimable again at this edge within that time; frees
// that pass through this isolate clear it at once.

export const SOLD_OUT_FLAG_TTL_MS = 1_000;

const flags = new Map<string, number>();

const key = (eventId: string, listingId: string) => `${eventId}:${listingId}`;

export function markSoldOut(eventId: string, listingId: string, now = Date.now()): void {
	if (flags.size >= 100_000) flags.clear();
	flags.set(key(eventId, listingId), now + SOLD_OUT_FLAG_TTL_MS);
}

export function knownSoldOut(eventId: string, listingId: string, now = Date.now()): boolean {
	const until = flags.get(key(eventId, listingId));
	if (until === undefined) return false;
	if (until > now) return true;
	flags.delete(key(eventId, listingId));
	return false;
}

export function clearSoldOut(eventId: string, listingId: string): void {
	flags.delete(key(eventId, listingId));
}
