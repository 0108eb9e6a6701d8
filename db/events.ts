// Events in D1: the operator's definition of an opening (times, hold length, buyer limit, status mode),
// and the counts the operator's event page shows beside it.
import { and, asc, eq, gte, isNotNull, lte, or, sql } from "drizzle-orm";
import { type D1Env, dbOf, schema } from "./client";
import type { GuardedWrite } from "./terms";

export type EventRow = typeof schema.events.$inferSelect;

/** The fields an operator sets when creating or editing an event. */
export type EventFields = Pick<EventRow, "name" | "startsAt" | "endsAt" | "holdSeconds" | "perBuyerLimit" | "currency">;

/** The status modes an operator can set: "auto" follows startsAt/endsAt, the others override it. */
export type StatusMode = "open" | "paused" | "closed" | "auto";

/** What an event's catalogue, buyers and orders add up to now. */
export interface EventCounts {
	listings: number;
	/** Units of stock over all listings. */
	stock: number;
	held: number;
	confirmed: number;
	buyers: number;
}

/** The event as D1 has it now (no cache): operator routes and hot-read loaders call this. */
export async function findEvent(env: D1Env, eventId: string): Promise<EventRow | null> {
	const rows = await dbOf(env).select().from(schema.events).where(eq(schema.events.id, eventId)).limit(1);
	return rows[0] ?? null;
}

/** The fields a claim plans around: once the event's terms are frozen (db/terms.ts) they never change. */
export const FROZEN_EVENT_FIELDS = ["startsAt", "holdSeconds", "perBuyerLimit", "currency"] as const;

/**
 * Creates the event or replaces its fields (createdAt stays the first write's); `now` stamps the write.
 * Once the event's terms are frozen, an edit that would change a frozen field writes nothing and is
 * `event_locked`; the check is the upsert's own WHERE, so a freeze cannot fall between it and the write.
 */
export async function upsertEvent(
	env: D1Env,
	eventId: string,
	fields: EventFields,
	now: string,
): Promise<GuardedWrite> {
	const e = schema.events;
	const written = await dbOf(env)
		.insert(e)
		.values({ id: eventId, ...fields, createdAt: now, updatedAt: now })
		.onConflictDoUpdate({
			target: e.id,
			set: { ...fields, updatedAt: now },
			// In the DO UPDATE's WHERE the bare columns are the stored row and `excluded` the new one.
			setWhere: sql`${e.termsFrozenAt} IS NULL OR (${sql.join(
				FROZEN_EVENT_FIELDS.map((f) => sql`${e[f]} = excluded.${sql.identifier(e[f].name)}`),
				sql` AND `,
			)})`,
		})
		.returning({ id: e.id });
	return written.length > 0 ? { kind: "written" } : { kind: "event_locked" };
}

/** Sets the operator's status mode; the first "open" also stamps openedAt, which locks the catalogue. */
export async function setEventStatus(env: D1Env, eventId: string, status: StatusMode, now: string): Promise<void> {
	await dbOf(env)
		.update(schema.events)
		.set({
			statusMode: status,
			updatedAt: now,
			...(status === "open" ? { openedAt: sql`coalesce(${schema.events.openedAt}, ${now})` } : {}),
		})
		.where(eq(schema.events.id, eventId));
}

/** Listings, stock, active orders and buyers of one event, in one round trip (all zero for an empty event). */
export async function eventCounts(env: D1Env, eventId: string): Promise<EventCounts> {
	// Five aggregates over three tables: one raw statement reads them together, where drizzle would
	// need five queries or a batch.
	const [counts] = await env.DB.prepare(
		`SELECT
		   (SELECT count(*) FROM listings WHERE event_id = ?1) AS listings,
		   (SELECT coalesce(sum(stock), 0) FROM listings WHERE event_id = ?1) AS stock,
		   (SELECT count(*) FROM orders WHERE event_id = ?1 AND status = 'held') AS held,
		   (SELECT count(*) FROM orders WHERE event_id = ?1 AND status = 'confirmed') AS confirmed,
		   (SELECT count(*) FROM buyers WHERE event_id = ?1) AS buyers`,
	)
		.bind(eventId)
		.raw<[number, number, number, number, number]>();
	const [listings, stock, held, confirmed, buyers] = counts ?? [0, 0, 0, 0, 0];
	return { listings, stock, held, confirmed, buyers };
}

/**
 * Events whose inventory objects may hold something D1 lacks: opened (or past their start) and not
 * ended before `endedAfter`. ISO-8601 UTC text compares in time order. Oldest id first, so a bounded
 * caller sees the same order on every run; at most `limit`.
 */
export function eventsToReconcile(
	env: D1Env,
	now: string,
	endedAfter: string,
	limit: number,
): Promise<{ id: string }[]> {
	const e = schema.events;
	return dbOf(env)
		.select({ id: e.id })
		.from(e)
		.where(and(or(isNotNull(e.openedAt), lte(e.startsAt, now)), gte(e.endsAt, endedAfter)))
		.orderBy(asc(e.id))
		.limit(limit);
}
