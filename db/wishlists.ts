// Wish lists (收藏) in D1: a copy of what each buyer's object holds (the authority), for what needs
// every buyer of an event at once — the staff heat map (how many lists name each listing, how many put
// it first) and the buyers whose auto-claim alarm must be re-armed when the event's opening moves.
import { and, eq, sql } from "drizzle-orm";
import { type D1Env, dbOf, schema } from "./client";

export interface WishlistCopy {
	eventId: string;
	buyerId: string;
	listingIds: readonly string[];
	autoClaim: boolean;
	/** The buyer object's counter for this list: a copy only ever replaces an older one. */
	version: number;
	updatedAt: string;
}

/** Writes the copy unless D1 already has this version or a newer one (writes may arrive out of order). */
export async function upsertWishlistCopy(env: D1Env, copy: WishlistCopy): Promise<void> {
	const w = schema.wishlists;
	const values = { ...copy, listingIds: JSON.stringify(copy.listingIds) };
	await dbOf(env)
		.insert(w)
		.values(values)
		.onConflictDoUpdate({
			target: [w.eventId, w.buyerId],
			set: {
				listingIds: sql`excluded.listing_ids`,
				autoClaim: sql`excluded.auto_claim`,
				version: sql`excluded.version`,
				updatedAt: sql`excluded.updated_at`,
			},
			setWhere: sql`excluded.version > ${w.version}`,
		});
}

export interface WishHeat {
	id: string;
	wishes: number;
	firstChoice: number;
}

/**
 * For every listing of the event (catalogue order by id), how many wish lists name it and how many
 * put it first. One pass over the lists (json_each), not one per listing: 10,000 lists of 10 are
 * 100,000 rows to group, whatever the catalogue's size.
 */
export async function wishHeat(env: D1Env, eventId: string): Promise<WishHeat[]> {
	const [listings, counted] = await env.DB.batch([
		env.DB.prepare("SELECT id FROM listings WHERE event_id = ?1 ORDER BY id").bind(eventId),
		env.DB.prepare(
			`SELECT j.value AS id, count(*) AS wishes, sum(j.key = 0) AS first_choice
			 FROM wishlists w, json_each(w.listing_ids) j WHERE w.event_id = ?1 GROUP BY j.value`,
		).bind(eventId),
	]);
	const byId = new Map(
		((counted?.results ?? []) as { id: string; wishes: number; first_choice: number }[]).map((r) => [r.id, r]),
	);
	return ((listings?.results ?? []) as { id: string }[]).map(({ id }) => ({
		id,
		wishes: byId.get(id)?.wishes ?? 0,
		firstChoice: byId.get(id)?.first_choice ?? 0,
	}));
}

/** The buyers of an event whose wish list has auto-claim on (as D1's copy has it). */
export async function autoClaimBuyers(env: D1Env, eventId: string): Promise<string[]> {
	const w = schema.wishlists;
	const rows = await dbOf(env)
		.select({ buyerId: w.buyerId })
		.from(w)
		.where(and(eq(w.eventId, eventId), eq(w.autoClaim, true)));
	return rows.map((r) => r.buyerId);
}
