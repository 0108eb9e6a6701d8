// Listings in D1: an event's catalogue of units (building, floor, layout, price, stock), written in
// bulk by the operator and read by the hot-read caches.
import { and, eq, getTableColumns, inArray, sql } from "drizzle-orm";
import { type D1Env, dbOf, runBatch, schema } from "./client";
import { chunk, excluded, rowsPerStatement } from "./sql";

export type ListingRow = typeof schema.listings.$inferSelect;

/** A listing as the operator sends it: the row without its event. */
export type ListingFields = Omit<ListingRow, "eventId">;

/** A listing with how many of its units active orders (held or confirmed) take. */
export type ListingWithTaken = ListingRow & { taken: number };

const LISTING_COLUMNS = Object.keys(getTableColumns(schema.listings)).length;

/** The event's whole catalogue, in no particular order (the claim path indexes it by id). */
export function listingsOf(env: D1Env, eventId: string): Promise<ListingRow[]> {
	return dbOf(env).select().from(schema.listings).where(eq(schema.listings.eventId, eventId));
}

/** Inserts or replaces listings by (event, id), all in one transaction however many statements it takes. */
export async function upsertListings(env: D1Env, eventId: string, listings: readonly ListingFields[]): Promise<void> {
	const db = dbOf(env);
	const t = schema.listings;
	const statements = chunk(listings, rowsPerStatement(LISTING_COLUMNS)).map((rows) =>
		db
			.insert(t)
			.values(rows.map((l) => ({ ...l, eventId })))
			.onConflictDoUpdate({
				target: [t.eventId, t.id],
				set: excluded({
					building: t.building,
					floor: t.floor,
					unit: t.unit,
					layout: t.layout,
					areaM2: t.areaM2,
					priceCents: t.priceCents,
					stock: t.stock,
				}),
			}),
	);
	await runBatch(db, statements);
}

/** The catalogue in display order (building, floor, unit), each listing with the units active orders take. */
export async function listingsWithTaken(env: D1Env, eventId: string): Promise<ListingWithTaken[]> {
	const db = dbOf(env);
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
	return rows.map((r) => ({ ...r, taken: taken.get(r.id) ?? 0 }));
}
