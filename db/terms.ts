// The one authority for an event's terms (docs/PROTOCOL.md, "Terms"). D1 holds the event's rules and its
// listings; the first claim of the event freezes them (`events.terms_frozen_at`) in the same D1
// transaction that reads them, and every admin write of them is guarded by the same column in its own
// statement. So a freeze and an edit can never interleave: either the edit landed first and the
// objects read it, or the freeze did and the edit is refused (409 event_locked) — never a D1 that says
// one thing and an inventory object that holds another.
import { and, eq, inArray, isNotNull, isNull, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { type D1Env, dbOf, schema } from "./client";

/** What an inventory object keeps of its listing from the first claim on. */
export interface ListingTerms {
	eventId: string;
	listingId: string;
	stock: number;
	priceCents: number;
	holdSeconds: number;
}

/** What a buyer object keeps of the event's rules from its first claim on. */
export interface BuyerRules {
	perBuyerLimit: number;
}

/** An admin write of frozen data: done, or refused because the event's terms were frozen first. */
export type GuardedWrite = { kind: "written" } | { kind: "event_locked" };

/**
 * True for rows whose event has not frozen its terms, evaluated inside the statement that writes them:
 * `eventId` names the event of the row being written (a bound id, or a column of the rows' VALUES).
 */
export function unfrozen(eventId: SQL | SQLiteColumn | string): SQL {
	return sql`(SELECT ${schema.events.termsFrozenAt} FROM ${schema.events} WHERE ${schema.events.id} = ${eventId}) IS NULL`;
}

/** Whether the event's terms are frozen, for the caller of a guarded batch (run it in the same batch). */
export function frozenAtQuery(env: D1Env, eventIds: readonly string[]) {
	const e = schema.events;
	return dbOf(env)
		.select({ frozenAt: e.termsFrozenAt })
		.from(e)
		.where(and(inArray(e.id, [...eventIds]), isNotNull(e.termsFrozenAt)))
		.limit(1);
}

/**
 * The first claim of a listing: freezes the event's terms (if no claim did yet) and reads the listing's,
 * in one D1 batch, which is one transaction. Null when D1 has no such event or listing. Throws when D1
 * cannot be reached: the caller grants nothing then.
 */
export async function freezeListingTerms(
	env: D1Env,
	eventId: string,
	listingId: string,
	now: string,
): Promise<ListingTerms | null> {
	const db = dbOf(env);
	const e = schema.events;
	const l = schema.listings;
	const [, events, listings] = await db.batch([
		freeze(env, eventId, now),
		db.select({ holdSeconds: e.holdSeconds }).from(e).where(eq(e.id, eventId)).limit(1),
		db
			.select({ stock: l.stock, priceCents: l.priceCents })
			.from(l)
			.where(and(eq(l.eventId, eventId), eq(l.id, listingId)))
			.limit(1),
	]);
	const [event] = events;
	const [listing] = listings;
	if (!event || !listing) return null;
	return { eventId, listingId, stock: listing.stock, priceCents: listing.priceCents, holdSeconds: event.holdSeconds };
}

/** The first claim of a buyer: freezes the event's terms (if no claim did yet) and reads its rules. */
export async function freezeBuyerRules(env: D1Env, eventId: string, now: string): Promise<BuyerRules | null> {
	const db = dbOf(env);
	const e = schema.events;
	const [, events] = await db.batch([
		freeze(env, eventId, now),
		db.select({ perBuyerLimit: e.perBuyerLimit }).from(e).where(eq(e.id, eventId)).limit(1),
	]);
	return events[0] ?? null;
}

/** Stamps the freeze once; later claims' stamps change nothing (and write nothing). */
function freeze(env: D1Env, eventId: string, now: string) {
	const e = schema.events;
	return dbOf(env)
		.update(e)
		.set({ termsFrozenAt: now })
		.where(and(eq(e.id, eventId), isNull(e.termsFrozenAt)));
}
