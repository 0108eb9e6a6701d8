// Holds as the API shows them, and how to find a hold's inventory object from its id alone.
import { eq } from "drizzle-orm";
import { dbOf, schema } from "../db/client";
import type { TransitionOutcome } from "../durable-objects/listing-inventory";
import { listingInventoryOf } from "../durable-objects/stubs";
import { isoOrNull } from "../lib/holds";
import { ApiError } from "./errors";

/**
 * Looks the hold up in D1's orders. Orders reach D1 about a second after the grant, long before staff
 * can have received a deposit for it.
 */
export async function locateHold(env: Env, holdId: string) {
	const rows = await dbOf(env)
		.select({ eventId: schema.orders.eventId, listingId: schema.orders.listingId, buyerId: schema.orders.buyerId })
		.from(schema.orders)
		.where(eq(schema.orders.holdId, holdId))
		.limit(1);
	const row = rows[0];
	if (!row) throw new ApiError("not_found", `No hold ${holdId}.`);
	return { ...row, inventory: listingInventoryOf(env, row.eventId, row.listingId) };
}

/** Shared by staff and buyer routes: a transition's outcome as the API shows it, or its error. */
export function holdView(outcome: TransitionOutcome) {
	if (outcome.kind === "not_found") throw new ApiError("not_found", "No such hold.");
	if (outcome.kind === "not_active") {
		throw new ApiError("hold_not_active", `The hold is ${outcome.hold.status}, not held.`, {
			details: { status: outcome.hold.status },
		});
	}
	const h = outcome.hold;
	return {
		holdId: h.holdId,
		listingId: h.listingId,
		buyerId: h.buyerId,
		status: h.status,
		priceCents: h.priceCents,
		expiresAt: isoOrNull(h.expiresAt),
		createdAt: new Date(h.createdAt).toISOString(),
		updatedAt: new Date(h.updatedAt).toISOString(),
	};
}
