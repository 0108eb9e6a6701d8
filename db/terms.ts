// The one authority for an event's terms (docs/PROTOCOL.md, "Terms"). D1 holds the event's rules and its
// listings; the first claim of the event freezes them (`events.terms_frozen_at`) in the same D1
// transaction that reads them, and every admin write of them is guarded by the same column in its own
// statement. So a freeze and an edit can never interleave: either the edit landed first and the
// objects read it, or the freeze did and the edit is refused (409 event_locked) — never a D1 that says
// one thing and an inventory object that holds another.
import { and, eq, gt, inArray, isNotNull, isNull, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { type D1Env, dbOf, schema } from "./client";
import type { EventRegion } from "./schema";

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

/** Everything the event's objects are given before the opening (worker/opening/prepare.ts). */
export interface PreparedTerms {
	frozenAt: string;
	region: EventRegion | null;
	/** The shuffle window, once its seed was given (docs/FAIRNESS.md); null without one. */
	shuffle: { endsAt: number; seed: string; beacon: string } | null;
	rules: BuyerRules;
	listings: ListingTerms[];
}

/**
 * The opening's preparation (docs/SCALE.md fix 1): freezes the event's terms now, if no claim did yet,
 * and reads the listings' terms — one D1 batch, one transaction, so what is
 * read is what froze. `slice`: the listings after `after` by id, at most `limit` of them (one call
 * hands out a slice: each listing is a subrequest). Null when D1 has no such event. From then on the edge's copy of the event shows
 * the terms frozen and passes the buyer's rules along, and each listing object is handed its terms
 * before its first claim: no object reads D1 at the opening.
 */
export async function freezeEventTerms(
	env: D1Env,
	eventId: string,
	now: string,
	slice: { after: string | null; limit: number },
): Promise<PreparedTerms | null> {
	const db = dbOf(env);
	const e = schema.events;
	const l = schema.listings;
	const [, events, listings] = await db.batch([
		freeze(env, eventId, now),
		db
			.select({
				frozenAt: e.termsFrozenAt,
				perBuyerLimit: e.perBuyerLimit,
				holdSeconds: e.holdSeconds,
				region: e.region,
				startsAt: e.startsAt,
				shuffleSeconds: e.shuffleSeconds,
				shuffleSeed: e.shuffleSeed,
				shuffleBeacon: e.shuffleBeacon,
			})
			.from(e)
			.where(eq(e.id, eventId))
			.limit(1),
		db
			.select({ listingId: l.id, stock: l.stock, priceCents: l.priceCents })
			.from(l)
			.where(and(eq(l.eventId, eventId), slice.after === null ? undefined : gt(l.id, slice.after)))
			.orderBy(l.id)
			.limit(slice.limit),
	]);
	const [event] = events;
	if (!event?.frozenAt) return null;
	return {
		frozenAt: event.frozenAt,
		region: event.region,
		shuffle:
			event.shuffleSeconds > 0 && event.shuffleSeed !== null
				? {
						endsAt: Date.parse(event.startsAt) + event.shuffleSeconds * 1000,
						seed: event.shuffleSeed,
						beacon: event.shuffleBeacon ?? "",
					}
				: null,
		rules: { perBuyerLimit: event.perBuyerLimit },
		listings: listings.map((x) => ({ eventId, ...x, holdSeconds: event.holdSeconds })),
	};
}

/** The last slice of the opening's preparation is done: the cron leaves the event alone from now on. */
export async function markPrepared(env: D1Env, eventId: string, now: string): Promise<void> {
	const e = schema.events;
	await dbOf(env).update(e).set({ preparedAt: now }).where(eq(e.id, eventId));
}

/**
 * Keeps the shuffle window's seed and beacon (checked against the commitment by the caller), once: a
 * second call writes nothing, so the window's order can never change. Answers whether it wrote.
 */
export async function keepShuffleSeed(env: D1Env, eventId: string, seed: string, beacon: string): Promise<boolean> {
	const e = schema.events;
	const written = await dbOf(env)
		.update(e)
		.set({ shuffleSeed: seed, shuffleBeacon: beacon })
		.where(and(eq(e.id, eventId), isNull(e.shuffleSeed)))
		.returning({ id: e.id });
	return written.length > 0;
}
