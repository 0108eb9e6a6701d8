// What the staff pages read beyond one event's orders (issue 13): the list of events with their counts
// (the operator's console), and the buyers of an event with name and phone (the dashboard, to call
// a buyer about a hold). Both page by keyset (db/pagination.ts), like every list. Also the two writes
// that belong to them: creating an event only when its id is new, and the event's announcement.
import { and, eq } from "drizzle-orm";
import { type D1Env, dbOf, schema } from "./client";
import type { EventCounts, EventFields, EventRow } from "./events";
import { keyOrder, type Page, pageOf, pastCursor, type SortKey } from "./pagination";

export type BuyerContact = { id: string; name: string | null; phone: string | null; createdAt: string };

/** The event's buyers, oldest registration first (then id), `limit` at a time. */
export async function buyersPage(
	env: D1Env,
	eventId: string,
	after: SortKey | null,
	limit: number,
): Promise<Page<BuyerContact>> {
	const b = schema.buyers;
	const rows = await dbOf(env)
		.select({ id: b.id, name: b.name, phone: b.phone, createdAt: b.createdAt })
		.from(b)
		.where(and(eq(b.eventId, eventId), pastCursor(b.createdAt, b.id, after, "asc")))
		.orderBy(...keyOrder(b.createdAt, b.id, "asc"))
		.limit(limit + 1);
	return pageOf(rows, limit, (r) => [r.createdAt, r.id]);
}

/** Every event, newest first (then id), with the counts its console page shows. */
export async function eventsPage(
	env: D1Env,
	after: SortKey | null,
	limit: number,
): Promise<Page<{ event: EventRow; counts: EventCounts }>> {
	const e = schema.events;
	const rows = await dbOf(env)
		.select()
		.from(e)
		.where(pastCursor(e.createdAt, e.id, after, "desc"))
		.orderBy(...keyOrder(e.createdAt, e.id, "desc"))
		.limit(limit + 1);
	const { page, nextCursor } = pageOf(rows, limit, (r) => [r.createdAt, r.id]);
	const counts = await countsOf(
		env,
		page.map((r) => r.id),
	);
	return {
		page: page.map((event) => ({
			event,
			counts: counts.get(event.id) ?? { listings: 0, stock: 0, held: 0, confirmed: 0, buyers: 0 },
		})),
		nextCursor,
	};
}

/** eventCounts() of several events in one statement (the ids travel as one JSON parameter). */
async function countsOf(env: D1Env, ids: string[]): Promise<Map<string, EventCounts>> {
	if (ids.length === 0) return new Map();
	const { results } = await env.DB.prepare(
		`SELECT e.id AS id,
		   (SELECT count(*) FROM listings WHERE event_id = e.id) AS listings,
		   (SELECT coalesce(sum(stock), 0) FROM listings WHERE event_id = e.id) AS stock,
		   (SELECT count(*) FROM orders WHERE event_id = e.id AND status = 'held') AS held,
		   (SELECT count(*) FROM orders WHERE event_id = e.id AND status = 'confirmed') AS confirmed,
		   (SELECT count(*) FROM buyers WHERE event_id = e.id) AS buyers
		 FROM events e WHERE e.id IN (SELECT value FROM json_each(?1))`,
	)
		.bind(JSON.stringify(ids))
		.all<EventCounts & { id: string }>();
	return new Map(results.map(({ id, ...c }) => [id, c]));
}

/**
 * Creates the event only if no event has this id (`If-None-Match: *`): one INSERT that does nothing
 * on a conflict, so two "new event" forms racing for one id cannot both win, and neither overwrites.
 */
export async function insertNewEvent(
	env: D1Env,
	eventId: string,
	fields: EventFields,
	now: string,
): Promise<"created" | "exists"> {
	const written = await dbOf(env)
		.insert(schema.events)
		.values({ id: eventId, ...fields, createdAt: now, updatedAt: now })
		.onConflictDoNothing()
		.returning({ id: schema.events.id });
	return written.length > 0 ? "created" : "exists";
}

/** Sets (text) or clears (null) the event's announcement; false when there is no such event. */
export async function setAnnouncement(env: D1Env, eventId: string, text: string | null, now: string): Promise<boolean> {
	const e = schema.events;
	const written = await dbOf(env)
		.update(e)
		.set({ announcementText: text, announcementPostedAt: text === null ? null : now, updatedAt: now })
		.where(eq(e.id, eventId))
		.returning({ id: e.id });
	return written.length > 0;
}
