// A buyer gives back their own hold (signed); the unit and the quota are free when this returns.
import { Hono } from "hono";
import { buyerQuotaOf, listingInventoryOf } from "../../durable-objects/stubs";
import { ApiError } from "../errors";
import { holdView, locateHold } from "../holds";
import type { AppEnv } from "../hono-env";
import { buyerSession, refusalError } from "../middleware/buyer-session";
import { addressRateLimit } from "../middleware/rate-limit";
import { signedRequest } from "../middleware/signed-request";
import { clearSoldOut } from "../sold-out-flags";
import { BUYER_BODY_LIMIT, param } from "../validation";

export const buyerHolds = new Hono<AppEnv>().post(
	"/:holdId/cancel",
	addressRateLimit(),
	buyerSession(),
	signedRequest({ bodyLimit: BUYER_BODY_LIMIT }),
	async (c) => {
		const holdId = param(c, "holdId");
		const { eventId, buyerId, sessionId } = c.get("session");
		const buyer = buyerQuotaOf(c.env, eventId, buyerId);
		const found = await buyer.findHold({ sessionId, nonce: c.get("signed").nonce }, holdId);
		if (found.kind === "missing") {
			// Not this buyer's: say so if it is somebody else's, else it does not exist.
			await locateHold(c.env, holdId);
			throw new ApiError("forbidden", "Only the buyer who holds a unit can cancel it.");
		}
		if (found.kind !== "found") throw refusalError(found);
		const listingId = found.hold.listingId;
		const outcome = await listingInventoryOf(c.env, eventId, listingId).cancel(holdId, buyerId);
		if (outcome.kind === "ok") {
			await buyer.applyHold(outcome.hold);
			clearSoldOut(eventId, listingId);
		}
		const hold = holdView(outcome);
		return c.json({ holdId: hold.holdId, listingId: hold.listingId, status: hold.status, expiresAt: hold.expiresAt });
	},
);
