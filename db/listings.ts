// Listings in D1: an event's catalogue of units (building, floor, layout, price, stock), written in
// bulk by the operator (refused once the event's terms are frozen, see db/terms.ts) and read by the
// hot-read caches and, once per listing, by its inventory object.
import { and, eq, getTableColumns, inArray, sql } from "drizzle-orm";
import { type D1Env, dbOf, schema } from "./client";
import { chunk, excluded, rowsPerStatement } from "./sql";
import { frozenAtQuery, type GuardedWrite, unfrozen } from "./terms";

export type ListingRow = typeof schema.listings.$inferSelect;

/** A listing as the operator sends it: the row without its event; the detail fields may be left out. */
export type ListingFields = Omit<ListingRow, "eventId" | "floorPlanUrl" | "orientation"> &
	Partial<Pick<ListingRow, "floorPlanUrl" | "orientation">>;

/** A listing with how many of its units active orders (held or confirmed) take. */
export type ListingWithTaken = ListingRow & { taken: number };

const LISTING_COLUMNS = Object.keys(getTableColumns(schema.listings)).length;

/** The event's whole catalogue, in no particular order (the claim path indexes it by id). */
export function listingsOf(env: D1Env, eventId: string): Promise<ListingRow[]> {
	return dbOf(env).select().from(schema.listings).where(eq(schema.listings.eventId, eventId));
}

/** Where a listing is (building, floor, unit), for its readable name in an SMS; null when unknown. */
export async function findListingPlace(
	env: D1Env,
	eventId: string,
	listingId: string,
): Promise<{ building: string; floor: number; unit: string } | null> {
	const rows = await dbOf(env)
		.select({ building: schema.listings.building, floor: schema.listings.floor, unit: schema.listings.unit })
		.from(schema.listings)
		.where(and(eq(schema.listings.eventId, eventId), eq(schema.listings.id, listingId)))
		.limit(1);
	return rows[0] ?? null;
}

/**
 * Inserts or replaces listings by (event, id), all in one transaction however many statements it takes
 * — unless the event's terms are frozen: then nothing is written. Each statement carries the guard
 * itself (an INSERT … SELECT over its rows WHERE the event is not frozen), so a claim freezing the
 * terms can never fall between the check and the write.
 */
export async function upsertListings(
	env: D1Env,
	eventId: string,
	listings: readonly ListingFields[],
): Promise<GuardedWrite> {
	const db = dbOf(env);
	const t = schema.listings;
	// One parameter of each statement is the guard's event id.
	const statements = chunk(listings, rowsPerStatement(LISTING_COLUMNS, 1)).map((rows) => {
		// In the table's column order: INSERT … SELECT fills every column by position.
		const values = sql.join(
			rows.map(
				(l) =>
					sql`(${eventId}, ${l.id}, ${l.building}, ${l.floor}, ${l.unit}, ${l.layout}, ${l.areaM2}, ${l.priceCents}, ${l.stock}, ${l.floorPlanUrl ?? null}, ${l.orientation ?? null})`,
			),
			sql`, `,
		);
		return db
			.insert(t)
			.select(sql`SELECT * FROM (VALUES ${values}) WHERE ${unfrozen(eventId)}`)
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
					floorPlanUrl: t.floorPlanUrl,
					orientation: t.orientation,
				}),
			});
	});
	if (statements.length === 0) return { kind: "written" };
	// Read in the same transaction as the writes: a freeze cannot fall between them, so this says which
	// of the two happened.
	const [frozen] = await db.batch([frozenAtQuery(env, [eventId]), ...statements]);
	return frozen.length > 0 ? { kind: "event_locked" } : { kind: "written" };
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
