// The lottery draw in D1 (API.md v1.1 "Lottery-ordered events", docs/FAIRNESS.md): the commitment, the
// frozen buyer list's fingerprint, the reveal and the order. Every write happens once: its statement's
// WHERE refuses a second one, so of two concurrent commits (or reveals) exactly one lands and the
// other is told `event_locked` — no check-then-write that two requests could both pass.
import { and, asc, eq, gt, isNotNull, isNull, sql } from "drizzle-orm";
import { type D1Env, dbOf, schema } from "./client";
import type { EventRow } from "./events";

export type CommitOutcome = { kind: "committed" } | { kind: "event_locked"; reason: string };

/**
 * Records the commitment. Only a lottery event, only once, only before it opens (no operator opening,
 * startsAt still ahead). From this statement on the buyer list is frozen (db/buyers.ts checks
 * seed_hash in each write), so the ids read right after are the list the draw will use.
 */
export async function commitDraw(env: D1Env, eventId: string, seedHash: string, now: string): Promise<CommitOutcome> {
	const e = schema.events;
	const written = await dbOf(env)
		.update(e)
		.set({ seedHash, committedAt: now, updatedAt: now })
		.where(and(eq(e.id, eventId), eq(e.mode, "lottery"), isNull(e.seedHash), isNull(e.openedAt), gt(e.startsAt, now)))
		.returning({ id: e.id });
	if (written.length > 0) return { kind: "committed" };
	const [event] = await dbOf(env).select().from(e).where(eq(e.id, eventId)).limit(1);
	const reason = !event
		? "The event is gone."
		: event.mode !== "lottery"
			? "This is a race event: it has no draw (set mode to lottery first)."
			: event.seedHash !== null
				? "The draw is already committed; a commitment is made once."
				: "The event has opened (or its start time passed); a draw is committed before the opening.";
	return { kind: "event_locked", reason };
}

/** The frozen buyer ids of an event (any order: lib/draw.ts sorts where it must). */
export async function buyerIdsOf(env: D1Env, eventId: string): Promise<string[]> {
	const b = schema.buyers;
	const rows = await dbOf(env).select({ id: b.id }).from(b).where(eq(b.eventId, eventId)).orderBy(asc(b.id));
	return rows.map((r) => r.id);
}

/**
 * Stores the frozen list's fingerprint (once: a commit answered without it, e.g. a worker that died
 * between the two statements, is completed by the next reader with the same values, since the list
 * cannot change any more).
 */
export async function recordBuyersHash(
	env: D1Env,
	eventId: string,
	buyersHash: string,
	buyerCount: number,
): Promise<void> {
	const e = schema.events;
	await dbOf(env)
		.update(e)
		.set({ buyersHash, buyerCount })
		.where(and(eq(e.id, eventId), isNotNull(e.seedHash), isNull(e.buyersHash)));
}

export type RevealOutcome = { kind: "drawn" } | { kind: "event_locked"; reason: string };

/**
 * Records the reveal and the order in one transaction, once. `buyersHash` is the fingerprint the order
 * was computed from: a reveal that raced the fingerprint's first write still draws over that list.
 */
export async function revealDraw(
	env: D1Env,
	eventId: string,
	draw: { seed: string; beacon: string | null; buyersHash: string; order: readonly string[] },
	now: string,
): Promise<RevealOutcome> {
	const db = dbOf(env);
	const e = schema.events;
	const o = schema.drawOrders;
	const [revealed] = await db.batch([
		db
			.update(e)
			.set({ seed: draw.seed, beacon: draw.beacon, drawnAt: now, updatedAt: now })
			.where(and(eq(e.id, eventId), isNotNull(e.seedHash), isNull(e.seed), eq(e.buyersHash, draw.buyersHash)))
			.returning({ id: e.id }),
		// Only the reveal that just landed writes the order: the row's seed and drawn_at are its own.
		db
			.insert(o)
			.select(
				sql`SELECT ${e.id}, ${JSON.stringify(draw.order)} FROM ${e} WHERE ${e.id} = ${eventId} AND ${e.seed} = ${draw.seed} AND ${e.drawnAt} = ${now}`,
			)
			.onConflictDoNothing(),
	]);
	if (revealed.length > 0) return { kind: "drawn" };
	return { kind: "event_locked", reason: "The draw is already revealed (or not committed); a reveal is made once." };
}

/** The published order (buyer ids, first to enter first); null before the reveal. */
export async function drawOrderOf(env: D1Env, eventId: string): Promise<string[] | null> {
	const o = schema.drawOrders;
	const [row] = await dbOf(env).select({ order: o.order }).from(o).where(eq(o.eventId, eventId)).limit(1);
	return row ? (JSON.parse(row.order) as string[]) : null;
}

export type DrawStatus = "none" | "committed" | "drawn";

export function drawStatus(event: Pick<EventRow, "seedHash" | "drawnAt">): DrawStatus {
	return event.drawnAt ? "drawn" : event.seedHash ? "committed" : "none";
}
