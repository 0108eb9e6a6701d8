// Listings this isolate knows to be sold out, so that the crowd still clicking them is answered at the
// edge without reaching the listing's object — or any object: a refusal writes nothing anywhere. A
// flag can only refuse (409); it never grants, only the inventory object grants, and the buyers who
// held the units when it was set are always sent on to the objects (their retry must answer 200).
//
// Freshness: a held unit frees itself only when its hold expires — a time the flag knows — so a flag
// is trusted until the earliest expiry among the holds, and at most SOLD_OUT_FLAG_TTL_MS (a cancel or
// a staff release through another isolate is the only free it cannot see). After that the next claim
// still gets 409 while one read-only `peek` at the listing's object (in the background) renews the
// flag or drops it — stale-while-revalidate, so a hot sold-out unit costs its object one read per
// isolate every few seconds instead of a claim per click. A flag that nobody touched for
// SOLD_OUT_FLAG_STALE_MS after its TTL (or whose renewal did not come back) is dropped, and claims go
// to the object as if there had been none. So a unit freed elsewhere is refused here for at most
// about SOLD_OUT_FLAG_TTL_MS (plus one peek), an expired one for about a peek; frees that pass through
// this isolate clear the flag at once.
import type { HoldRecord } from "../../lib/hold-record";

export const SOLD_OUT_FLAG_TTL_MS = 5_000;
/** Never trust a flag for less than this: a hold at its expiry instant must not cause a peek per click. */
const MIN_TRUST_MS = 100;
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
/**
 * When a free passed through this isolate (clearSoldOut), per listing: a flag the location's cache
 * (sold-out-colo.ts) recorded before that moment is older news than the free and is not adopted.
 */
const clearedAt = new Map<string, number>();

const key = (eventId: string, listingId: string) => `${eventId}:${listingId}`;

export function markSoldOut(eventId: string, listingId: string, holders: HoldRecord[], now = Date.now()): void {
	if (flags.size >= 100_000) flags.clear();
	const expiries = holders.flatMap((h) => (h.status === "held" && h.expiresAt !== null ? [h.expiresAt] : []));
	const until = Math.max(now + MIN_TRUST_MS, Math.min(now + SOLD_OUT_FLAG_TTL_MS, ...expiries));
	flags.set(key(eventId, listingId), {
		until,
		holders: new Set(holders.map((h) => h.buyerId)),
		renewing: false,
	});
}

export function clearSoldOut(eventId: string, listingId: string, now = Date.now()): void {
	const k = key(eventId, listingId);
	flags.delete(k);
	if (clearedAt.size >= 100_000) clearedAt.clear();
	clearedAt.set(k, now);
}

/** What this isolate's flag says, to share with the location (sold-out-colo.ts); null without one. */
export function soldOutFlagOf(eventId: string, listingId: string): { until: number; holders: string[] } | null {
	const flag = flags.get(key(eventId, listingId));
	return flag ? { until: flag.until, holders: [...flag.holders] } : null;
}

/**
 * Takes on a flag another isolate of this location recorded at `setAt` (sold-out-colo.ts). Refused
 * when it is past its trust (`until`) or older than a free this isolate saw, and never shortens a
 * flag this isolate already trusts longer.
 */
export function adoptSoldOut(
	eventId: string,
	listingId: string,
	shared: { until: number; holders: string[]; setAt: number },
	now = Date.now(),
): boolean {
	const k = key(eventId, listingId);
	if (now >= shared.until || shared.setAt <= (clearedAt.get(k) ?? Number.NEGATIVE_INFINITY)) return false;
	const mine = flags.get(k);
	if (mine && mine.until >= shared.until) return true;
	if (flags.size >= 100_000) flags.clear();
	flags.set(k, { until: shared.until, holders: new Set(shared.holders), renewing: false });
	return true;
}

/** Whether this isolate has a flag for the listing at all (fresh or being renewed). */
export function hasSoldOutFlag(eventId: string, listingId: string): boolean {
	return flags.has(key(eventId, listingId));
}

/** Tests: forget every flag and free, as a fresh isolate would. */
export function resetSoldOutFlagsForTests(): void {
	flags.clear();
	clearedAt.clear();
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
