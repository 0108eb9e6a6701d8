// Orders in D1: one row per hold the inventory objects granted, fed through the orders queue. The hold
// id is the key and the per-hold version orders the writes, so at-least-once delivery in any order
// leaves each row at the newest state it was sent. Each row also gets D1's arrival number (`seq`)
// at its insert, which the export pages by.
import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import type { HoldRecord } from "../lib/hold-record";
import { type D1Env, dbOf, runBatch, schema } from "./client";
import { encodeSeqCursor, type Page } from "./pagination";
import { chunk, D1_MAX_BOUND_PARAMETERS, excluded } from "./sql";

export type OrderRow = typeof schema.orders.$inferSelect;

export interface HoldAddress {
	eventId: string;
	listingId: string;
	buyerId: string;
}

/** Which event, listing and buyer a hold belongs to, from its order row (null before D1 has it). */
export async function findHoldAddress(env: D1Env, holdId: string): Promise<HoldAddress | null> {
	const rows = await dbOf(env)
		.select({ eventId: schema.orders.eventId, listingId: schema.orders.listingId, buyerId: schema.orders.buyerId })
		.from(schema.orders)
		.where(eq(schema.orders.holdId, holdId))
		.limit(1);
	return rows[0] ?? null;
}

/** Where a hold stands in D1: the version (and status) its order row has now. */
export interface OrderVersion {
	holdId: string;
	listingId: string;
	status: string;
	version: number;
}

/** The order row a hold becomes (its epoch-ms times as ISO text), without the `seq` D1 gives it. */
export function orderRowOf(h: HoldRecord): Omit<OrderRow, "seq"> {
	return {
		holdId: h.holdId,
		eventId: h.eventId,
		listingId: h.listingId,
		buyerId: h.buyerId,
		status: h.status,
		priceCents: h.priceCents,
		createdAt: new Date(h.createdAt).toISOString(),
		updatedAt: new Date(h.updatedAt).toISOString(),
		version: h.version,
	};
}

/**
 * Records holds as orders, all in one transaction: a new hold is inserted (with the next arrival
 * number), a known one moves to the sent state only if its version is newer, so a duplicate or an
 * older delivery changes nothing. Answers the version each hold's row has once the write is done:
 * a message whose version is that one carries the newest state D1 knows (the consumer notifies only
 * for those), and D1 has at least every version written here (the consumer acknowledges them).
 */
export async function upsertOrders(env: D1Env, holds: readonly HoldRecord[]): Promise<Map<string, number>> {
	const db = dbOf(env);
	const o = schema.orders;
	await runBatch(
		db,
		holds.map((h) =>
			db
				.insert(o)
				// D1 runs one write at a time, so max + 1 is this row's arrival number; the unique index
				// would refuse a duplicate rather than let two rows share a place in the export.
				.values({ ...orderRowOf(h), seq: sql`(SELECT coalesce(max(seq), 0) + 1 FROM orders)` })
				.onConflictDoUpdate({
					target: o.holdId,
					set: excluded({ status: o.status, updatedAt: o.updatedAt, version: o.version }),
					setWhere: sql`excluded.version > ${o.version}`,
				}),
		),
	);
	const ids = [...new Set(holds.map((h) => h.holdId))];
	const versions = new Map<string, number>();
	for (const part of chunk(ids, D1_MAX_BOUND_PARAMETERS)) {
		const rows = await db.select({ holdId: o.holdId, version: o.version }).from(o).where(inArray(o.holdId, part));
		for (const r of rows) versions.set(r.holdId, r.version);
	}
	return versions;
}

/** The version D1 has of one hold's order, or null before D1 has it. */
export async function orderVersion(env: D1Env, holdId: string): Promise<number | null> {
	const rows = await dbOf(env)
		.select({ version: schema.orders.version })
		.from(schema.orders)
		.where(eq(schema.orders.holdId, holdId))
		.limit(1);
	return rows[0]?.version ?? null;
}

/** Every order of an event with its version: what the reconciler and the parity report compare with. */
export function orderVersionsOf(env: D1Env, eventId: string): Promise<OrderVersion[]> {
	const o = schema.orders;
	return dbOf(env)
		.select({ holdId: o.holdId, listingId: o.listingId, status: o.status, version: o.version })
		.from(o)
		.where(eq(o.eventId, eventId));
}

/**
 * One page of an event's orders in the order D1 received them, after the arrival number `afterSeq`.
 * A late order gets a number above every one served so far, so a client walking the pages meets it.
 */
export async function ordersPage(
	env: D1Env,
	eventId: string,
	afterSeq: number | null,
	limit: number,
): Promise<Page<OrderRow>> {
	const o = schema.orders;
	const page = await dbOf(env)
		.select()
		.from(o)
		.where(and(eq(o.eventId, eventId), afterSeq === null ? undefined : gt(o.seq, afterSeq)))
		.orderBy(asc(o.seq))
		.limit(limit + 1);
	const rows = page.slice(0, limit);
	const last = rows.at(-1);
	return { page: rows, nextCursor: page.length > limit && last ? encodeSeqCursor(last.seq) : null };
}
