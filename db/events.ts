// Events in D1: the operator's definition of an opening (times, hold length, buyer limit, status mode),
// and the counts the operator's event page shows beside it.
import { and, asc, eq, gte, isNotNull, lte, or, sql } from "drizzle-orm";
import { type D1Env, dbOf, schema } from "./client";
import type { GuardedWrite } from "./terms";

export type EventRow = typeof schema.events.$inferSelect;

/** The fields an operator sets when creating or editing an event. */
export type EventFields = Pick<
	EventRow,
	"name" | "startsAt" | "endsAt" | "holdSeconds" | "perBuyerLimit" | "currency"
> &
	Partial<Pick<EventRow, "mode" | "batchSize" | "batchSeconds" | "autoClaimDelaySeconds">>;

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
export const FROZEN_EVENT_FIELDS = [
	"startsAt",
	"holdSeconds",
	"perBuyerLimit",
	"currency",
	"mode",
	"batchSize",
	"batchSeconds",
] as const;

/**
 * The fields the draw's commitment locks (docs/FAIRNESS.md): once a seed hash is committed the order's
 * meaning — who enters when — must not change, so the mode and the batches are fixed with it.
 */
export const DRAW_LOCKED_FIELDS = ["mode", "batchSize", "batchSeconds"] as const;

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
			setWhere: sql`(${e.termsFrozenAt} IS NULL OR (${sql.join(
				FROZEN_EVENT_FIELDS.map((f) => sql`${e[f]} = excluded.${sql.identifier(e[f].name)}`),
				sql` AND `,
			)})) AND (${e.seedHash} IS NULL OR (${sql.join(
				DRAW_LOCKED_FIELDS.map((f) => sql`${e[f]} = excluded.${sql.identifier(e[f].name)}`),
				sql` AND `,
			)}))`,
		})
		.returning({ id: e.id });
	return written.length > 0 ? { kind: "written" } : { kind: "event_locked" };
}

/**
 * Sets the operator's status mode; the first "open" also stamps openedAt, which locks the catalogue.
 * A lottery event opens only once drawn: "open" on one that is not is `draw_pending` and writes
 * nothing, checked in the update's own WHERE so a reveal cannot fall between the check and the write.
 * openedAt is when the event actually opened: if "auto" had already opened it (a lottery event: at
 * the later of startsAt and the reveal), that moment, not the operator's later click.
 */
export async function setEventStatus(
	env: D1Env,
	eventId: string,
	status: StatusMode,
	now: string,
): Promise<{ kind: "written" } | { kind: "draw_pending" }> {
	const e = schema.events;
	const drawn = sql`(${e.mode} <> 'lottery' OR ${e.drawnAt} IS NOT NULL)`;
	const autoOpenedAt = sql`CASE WHEN ${e.statusMode} = 'auto' AND ${e.startsAt} <= ${now} AND ${e.endsAt} > ${now} AND ${drawn}
		THEN max(${e.startsAt}, coalesce(${e.drawnAt}, ${e.startsAt})) ELSE ${now} END`;
	const written = await dbOf(env)
		.update(e)
		.set({
			statusMode: status,
			updatedAt: now,
			...(status === "open" ? { openedAt: sql`coalesce(${e.openedAt}, ${autoOpenedAt})` } : {}),
		})
		.where(status === "open" ? and(eq(e.id, eventId), drawn) : eq(e.id, eventId))
		.returning({ id: e.id });
	return written.length > 0 || status !== "open" ? { kind: "written" } : { kind: "draw_pending" };
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
