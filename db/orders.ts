// Orders in D1: one row per hold the inventory objects granted, fed through the orders queue. The hold
// id is the key and the per-hold version orders the writes, so at-least-once delivery in any order
// leaves each row at the newest state it was sent.
import { and, eq, sql } from "drizzle-orm";
import type { HoldRecord } from "../lib/hold-record";
import { type D1Env, dbOf, runBatch, schema } from "./client";
import { keyOrder, type Page, pageOf, pastCursor, type SortKey } from "./pagination";
import { excluded } from "./sql";

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

/** The order row a hold becomes: its epoch-ms times as ISO text. */
export function orderRowOf(h: HoldRecord): OrderRow {
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
 * Records holds as orders, all in one transaction: a new hold is inserted, a known one moves to the
 * sent state only if its version is newer, so a duplicate or an older delivery changes nothing.
 */
export async function upsertOrders(env: D1Env, holds: readonly HoldRecord[]): Promise<void> {
	const db = dbOf(env);
	const o = schema.orders;
	await runBatch(
		db,
		holds.map((h) =>
			db
				.insert(o)
				.values(orderRowOf(h))
				.onConflictDoUpdate({
					target: o.holdId,
					set: excluded({ status: o.status, updatedAt: o.updatedAt, version: o.version }),
					setWhere: sql`excluded.version > ${o.version}`,
				}),
		),
	);
}

/** One page of an event's orders, oldest first (by createdAt, then hold id), after the cursor's key. */
export async function ordersPage(
	env: D1Env,
	eventId: string,
	after: SortKey | null,
	limit: number,
): Promise<Page<OrderRow>> {
	const o = schema.orders;
	const rows = await dbOf(env)
		.select()
		.from(o)
		.where(and(eq(o.eventId, eventId), pastCursor(o.createdAt, o.holdId, after, "asc")))
		.orderBy(...keyOrder(o.createdAt, o.holdId, "asc"))
		.limit(limit + 1);
	return pageOf(rows, limit, (r) => [r.createdAt, r.holdId]);
}
