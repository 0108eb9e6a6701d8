// What an event's dashboard hub rebuilds its copy from when a page connects and the copy may be stale:
// each listing's stock and every order's status and version, read in one D1 batch (one round trip,
// one snapshot of both tables).
import { eq } from "drizzle-orm";
import { type D1Env, dbOf, schema } from "./client";

export interface LiveView {
	listings: { id: string; stock: number }[];
	holds: { holdId: string; listingId: string; status: string; version: number }[];
}

export async function liveViewOf(env: D1Env, eventId: string): Promise<LiveView> {
	const db = dbOf(env);
	const l = schema.listings;
	const o = schema.orders;
	const [listings, holds] = await db.batch([
		db.select({ id: l.id, stock: l.stock }).from(l).where(eq(l.eventId, eventId)),
		db
			.select({ holdId: o.holdId, listingId: o.listingId, status: o.status, version: o.version })
			.from(o)
			.where(eq(o.eventId, eventId)),
	]);
	return { listings, holds };
}
