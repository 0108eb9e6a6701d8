// Hot reads of events and listings. D1 is the store; each isolate keeps a short-lived copy so that a
// crowd of claims does not turn into a crowd of D1 queries. Staleness is bounded by the TTLs below and
// documented in docs/OPERATIONS.md; writes made through this isolate invalidate its copy at once.
import { and, eq, inArray, sql } from "drizzle-orm";
import { dbOf, schema } from "../db/client";
import { type EventStatus, eventStatus } from "../lib/event-rules";
import { TtlCache } from "../lib/ttl-cache";

export type EventRow = typeof schema.events.$inferSelect;
export type ListingRow = typeof schema.listings.$inferSelect;

export const EVENT_TTL_MS = 1_000;
export const LISTINGS_TTL_MS = 500;

const eventCache = new TtlCache<EventRow | null>(EVENT_TTL_MS);
const catalogueCache = new TtlCache<Map<string, ListingRow>>(EVENT_TTL_MS);
const availabilityCache = new TtlCache<{ listings: PublicListing[]; asOf: string }>(LISTINGS_TTL_MS);

export function loadEvent(env: Env, eventId: string): Promise<EventRow | null> {
	return eventCache.get(eventId, async () => {
		const rows = await dbOf(env).select().from(schema.events).where(eq(schema.events.id, eventId)).limit(1);
		return rows[0] ?? null;
	});
}

export function loadListing(env: Env, eventId: string, listingId: string): Promise<ListingRow | undefined> {
	return catalogueCache
		.get(eventId, async () => {
			const rows = await dbOf(env).select().from(schema.listings).where(eq(schema.listings.eventId, eventId));
			return new Map(rows.map((r) => [r.id, r]));
		})
		.then((map) => map.get(listingId));
}

export function invalidateEvent(eventId: string): void {
	eventCache.delete(eventId);
	catalogueCache.delete(eventId);
	availabilityCache.delete(eventId);
}

export interface PublicEvent {
	id: string;
	name: string;
	startsAt: string;
	endsAt: string;
	status: EventStatus;
	currency: string;
	holdSeconds: number;
	perBuyerLimit: number;
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
	};
}

export interface PublicListing {
	id: string;
	building: string;
	floor: number;
	unit: string;
	layout: string;
	areaM2: number;
	priceCents: number;
	stock: number;
	available: number;
}

/** The catalogue with availability from D1's orders, which trail the inventory objects by ~1 s. */
export function listingsWithAvailability(
	env: Env,
	eventId: string,
): Promise<{ listings: PublicListing[]; asOf: string }> {
	return availabilityCache.get(eventId, async () => {
		const db = dbOf(env);
		const asOf = new Date().toISOString();
		const [rows, active] = await db.batch([
			db
				.select()
				.from(schema.listings)
				.where(eq(schema.listings.eventId, eventId))
				.orderBy(schema.listings.building, schema.listings.floor, schema.listings.unit),
			db
				.select({ listingId: schema.orders.listingId, n: sql<number>`count(*)` })
				.from(schema.orders)
				.where(and(eq(schema.orders.eventId, eventId), inArray(schema.orders.status, ["held", "confirmed"])))
				.groupBy(schema.orders.listingId),
		]);
		const taken = new Map(active.map((r) => [r.listingId, r.n]));
		const listings = rows.map((r) => ({
			id: r.id,
			building: r.building,
			floor: r.floor,
			unit: r.unit,
			layout: r.layout,
			areaM2: r.areaM2,
			priceCents: r.priceCents,
			stock: r.stock,
			available: Math.max(0, r.stock - (taken.get(r.id) ?? 0)),
		}));
		return { listings, asOf };
	});
}
