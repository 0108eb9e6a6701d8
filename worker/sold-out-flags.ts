// Listings this isolate knows to be sold out, so that the crowd still clicking them is answered at the
// edge without reaching the listing's object — or any object: a refusal writes nothing anywhere. A
// flag can only refuse (409); it never grants, only the inventory object grants, and the buyers who
// held the units when it was set are always sent on to the objects (their retry must answer 200).
//
// Freshness: a flag is trusted for SOLD_OUT_FLAG_TTL_MS. After that the next claim still gets 409
// while one read-only `peek` at the listing's object (in the background) renews the flag or drops it
// — stale-while-revalidate, so a hot sold-out unit costs its object one read per isolate per second
// instead of a claim per click. A flag that nobody touched for a second after its TTL (or whose
// renewal did not come back) is dropped, and claims go to the object as if there had been none. So a
// unit freed by expiry or release elsewhere is refused here for at most about a second (TTL plus one
// peek); frees that pass through this isolate clear the flag at once.
import type { HoldRecord } from "../lib/holds";

export const SOLD_OUT_FLAG_TTL_MS = 1_000;
/** How long past its TTL a flag may still refuse while its renewal is on the way. */
export const SOLD_OUT_FLAG_STALE_MS = 1_000;

interface Flag {
	/** Trusted until then; renewed (or dropped) by a peek after. */
	until: number;
	/** The buyers whose holds took the units: never refused by the flag. */
	holders: Set<string>;
	renewing: boolean;
}

const flags = new Map<string, Flag>();

const key = (eventId: string, listingId: string) => `${eventId}:${listingId}`;

export function markSoldOut(eventId: string, listingId: string, holders: HoldRecord[], now = Date.now()): void {
	if (flags.size >= 100_000) flags.clear();
	flags.set(key(eventId, listingId), {
		until: now + SOLD_OUT_FLAG_TTL_MS,
		holders: new Set(holders.map((h) => h.buyerId)),
		renewing: false,
	});
}

export function clearSoldOut(eventId: string, listingId: string): void {
	flags.delete(key(eventId, listingId));
}

/**
 * Whether a claim by `buyerId` is refused from the flag. When the flag is past its TTL, `renew` is
 * started once (the caller keeps it alive with waitUntil) and must end in markSoldOut or clearSoldOut.
 */
export function refusedBySoldOutFlag(
	eventId: string,
	listingId: string,
	buyerId: string,
	renew: () => void,
	now = Date.now(),
): boolean {
	const flag = flags.get(key(eventId, listingId));
	if (!flag || flag.holders.has(buyerId)) return false;
	if (now >= flag.until + SOLD_OUT_FLAG_STALE_MS) {
		clearSoldOut(eventId, listingId);
		return false;
	}
	if (now >= flag.until && !flag.renewing) {
		flag.renewing = true;
		renew();
	}
	return true;
}
