// The edge's part of the shuffle window (docs/FAIRNESS.md "The shuffle window"): a claim made while an
// event's window is open is held by the listing's object until the window ends and then served in
// ticket order. The claim request itself is unchanged (API.md); it just takes until the window ends.
// So that nothing gives up on it meanwhile, the buyer object waits for the inventory, and the edge for
// the buyer object, until the window's end plus their usual bound, and the buyer's pending row is
// leased as long. One hook in worker/routes/claims.ts; everything else lives in the listing object.
import type { EventRow } from "../../db/events";
import { INVENTORY_WAIT_MS } from "../../durable-objects/buyer-quota";

/**
 * The longest window an event may have. The buyer object presumes an inventory call lost after 30 s
 * (IN_FLIGHT_MAX_MS) and a held-open request is a poor page: 20 s keeps a window's claim under both.
 */
export const SHUFFLE_MAX_SECONDS = 20;

/** When the event's window ends (epoch ms), or null for an event without one. */
export function shuffleWindowEndsAt(event: Pick<EventRow, "startsAt" | "shuffleSeconds">): number | null {
	if (!event.shuffleSeconds) return null;
	return Date.parse(event.startsAt) + event.shuffleSeconds * 1000;
}

/** The claim's waits inside the window: longer by the time left in it; nothing outside it. */
export function shuffleClaimOptions(
	event: Pick<EventRow, "startsAt" | "shuffleSeconds">,
	leaseMs: number,
	now = Date.now(),
): { leaseMs: number; inventoryWaitMs?: number } {
	const endsAt = shuffleWindowEndsAt(event);
	if (endsAt === null || now >= endsAt) return { leaseMs };
	const left = endsAt - now;
	return { leaseMs: leaseMs + left, inventoryWaitMs: INVENTORY_WAIT_MS + left };
}
