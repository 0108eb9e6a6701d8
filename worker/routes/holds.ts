// A buyer gives back their own hold; the unit and the quota are free again when this returns.
import { Hono } from "hono";
import { buyerQuotaOf, listingInventoryOf } from "../../durable-objects/stubs";
import { ApiError } from "../errors";
import { holdView, locateHold } from "../holds";
import type { AppEnv } from "../hono-env";
import { buyerSession, sessionRevoked } from "../middleware/buyer-session";
import { param } from "../validation";

export const buyerHolds = new Hono<AppEnv>().post("/:holdId/cancel", buyerSession(), async (c) => {
	const holdId = param(c, "holdId");
	const { eventId, buyerId, sessionId } = c.get("session");
	const buyer = buyerQuotaOf(c.env, eventId, buyerId);
	const mine = await buyer.findHold(sessionId, holdId);
	if (mine === "revoked") throw sessionRevoked();
	if (!mine) {
		// Not this buyer's: say so if it is somebody else's, else it does not exist.
		await locateHold(c.env, holdId);
		throw new ApiError("forbidden", "Only the buyer who holds a unit can cancel it.");
	}
	const outcome = await listingInventoryOf(c.env, eventId, mine.listingId).cancel(holdId, buyerId);
	if (outcome.kind === "ok") await buyer.applyHold(outcome.hold);
	const hold = holdView(outcome);
	return c.json({ holdId: hold.holdId, listingId: hold.listingId, status: hold.status, expiresAt: hold.expiresAt });
});
