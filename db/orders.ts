// Orders in D1: one row per hold the inventory objects granted, fed through the orders queue.
import { eq } from "drizzle-orm";
import { dbOf, schema } from "./client";

export interface HoldAddress {
	eventId: string;
	listingId: string;
	buyerId: string;
}

/** Which event, listing and buyer a hold belongs to, from its order row (null before D1 has it). */
export async function findHoldAddress(env: Env, holdId: string): Promise<HoldAddress | null> {
	const rows = await dbOf(env)
		.select({ eventId: schema.orders.eventId, listingId: schema.orders.listingId, buyerId: schema.orders.buyerId })
		.from(schema.orders)
		.where(eq(schema.orders.holdId, holdId))
		.limit(1);
	return rows[0] ?? null;
}
