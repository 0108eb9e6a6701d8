// Hot reads of events and listings. D1 is the store; isolate memory and the Cache API keep short-lived
// copies so that a crowd of claims does not turn into a crowd of D1 queries. Staleness is bounded by
// the TTLs below (docs/OPERATIONS.md); writes made through this isolate invalidate its copies at once.
// The public shapes are the client's: one definition for the API and everything that calls it.
import type { PublicEvent, Listing as PublicListing } from "../../client/kaipan-client";
import { type EventRow, findEvent } from "../../db/events";
import { type ListingRow, listingsOf, listingsWithTaken } from "../../db/listings";
import { eventStatus } from "../../lib/event-rules";
import { TtlCache } from "../../lib/ttl-cache";
import { edgeCached, evictEdgeCached } from "./edge-cache";

export type { ListingRow };

/** Seconds an event or catalogue copy may live in each cache layer. */
export const EVENT_TTL_SECONDS = 1;
export const LISTINGS_TTL_MS = 500;

/** Unknown event ids are remembered this long, apart from the real events (lib/ttl-cache.ts). */
export const MISS_TTL_MS = 5_000;
const isMissingEvent = (event: EventRow | null) => event === null;
const eventCache = new TtlCache<EventRow | null>(EVENT_TTL_SECONDS * 1000, 1_000, {
	isMiss: isMissingEvent,
	ttlMs: MISS_TTL_MS,
	maxEntries: 10_000,
});
const catalogueCache = new TtlCache<ListingRow[]>(EVENT_TTL_SECONDS * 1000);
const catalogueIndex = new WeakMap<ListingRow[], Map<string, ListingRow>>();
/** A short grace: API.md lets the listing board lag the inventory by 2 s, and the queue takes ~1 s of it. */
const AVAILABILITY_GRACE_MS = 200;
const availabilityCache = new TtlCache<{ listings: PublicListing[]; asOf: string }>(
	LISTINGS_TTL_MS,
	1_000,
	undefined,
	AVAILABILITY_GRACE_MS,
);

export function loadEvent(env: Env, eventId: string): Promise<EventRow | null> {
	return edgeCached(eventCache, `event:${eventId}`, EVENT_TTL_SECONDS, () => findEvent(env, eventId), isMissingEvent);
}

export async function loadListing(env: Env, eventId: string, listingId: string): Promise<ListingRow | undefined> {
	const rows = await edgeCached(catalogueCache, `catalogue:${eventId}`, EVENT_TTL_SECONDS, () =>
		listingsOf(env, eventId),
	);
	let index = catalogueIndex.get(rows);
	if (!index) {
		index = new Map(rows.map((r) => [r.id, r]));
		catalogueIndex.set(rows, index);
	}
	return index.get(listingId);
}

export async function invalidateEvent(eventId: string): Promise<void> {
	availabilityCache.delete(eventId);
	await Promise.all([
		evictEdgeCached(eventCache, `event:${eventId}`),
		evictEdgeCached(catalogueCache, `catalogue:${eventId}`),
	]);
}

export function publicEvent(event: EventRow, now = Date.now()): PublicEvent {
	return {
		id: event.id,
		name: event.name,
		startsAt: event.startsAt,
		endsAt: event.endsAt,
		status: eventStatus(event, now),
		currency: event.currency,
		holdSeconds: event.holdSeconds,
		perBuyerLimit: event.perBuyerLimit,
		mode: event.mode,
		batchSize: event.batchSize,
		batchSeconds: event.batchSeconds,
		autoClaimDelaySeconds: event.autoClaimDelaySeconds,
		rehearsalOf: event.rehearsalOf,
	};
}

/** The catalogue with availability from D1's orders, which trail the inventory objects by ~1 s. */
export function listingsWithAvailability(
	env: Env,
	eventId: string,
): Promise<{ listings: PublicListing[]; asOf: string }> {
	return availabilityCache.get(eventId, async () => {
		const asOf = new Date().toISOString();
		const rows = await listingsWithTaken(env, eventId);
		const listings = rows.map((r) => ({
			id: r.id,
			building: r.building,
			floor: r.floor,
			unit: r.unit,
			layout: r.layout,
			areaM2: r.areaM2,
			priceCents: r.priceCents,
			stock: r.stock,
			available: Math.max(0, r.stock - r.taken),
		}));
		return { listings, asOf };
	});
}
