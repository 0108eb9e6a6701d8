// Most of the crowd at the opening is answered here, from memory, asking no object and writing
// nothing: a claim for a unit this isolate knows to be sold out is 409 (worker/hot-reads/sold-out-flags.ts).
// A buyer who held a unit of it when it sold out goes on to the objects, which answer exactly (200
// with the hold, or a fresh claim if it has since been released).
import { createMiddleware } from "hono/factory";
import { listingInventoryOf } from "../../durable-objects/addresses";
import { clearSoldOut, markSoldOut, refusedBySoldOutFlag } from "../hot-reads/sold-out-flags";
import type { AppEnv } from "../http/app-env";
import { soldOut } from "../http/errors";

/** Runs after claimTarget. */
export function soldOutGate() {
	return createMiddleware<AppEnv>(async function soldOutGate(c, next) {
		const eventId = c.get("event").id;
		const listingId = c.get("listing").id;
		const renew = () => c.executionCtx.waitUntil(renewSoldOutFlag(c.env, eventId, listingId));
		if (refusedBySoldOutFlag(eventId, listingId, c.get("session").buyerId, renew)) throw soldOut();
		await next();
	});
}

/** Asks the listing's object, read-only, whether it is still sold out. */
export async function renewSoldOutFlag(env: Env, eventId: string, listingId: string): Promise<void> {
	try {
		const taken = await listingInventoryOf(env, eventId, listingId).peek();
		if (taken) markSoldOut(eventId, listingId, taken);
		else clearSoldOut(eventId, listingId);
	} catch (err) {
		// Unsure: drop the flag, so claims go to the object, which knows.
		clearSoldOut(eventId, listingId);
		console.warn("sold-out flag not renewed", { eventId, listingId, error: String(err) });
	}
}
