// A buyer gives back their own hold (signed); the unit and the quota are free when this returns.
import { Hono } from "hono";
import { buyerQuotaOf, listingInventoryOf } from "../../durable-objects/addresses";
import { buyerHoldView, transitioned } from "../holds/hold-views";
import { holdNotFound, locateHold } from "../holds/locate-hold";
import { clearSoldOutInColo } from "../hot-reads/sold-out-colo";
import type { AppEnv } from "../http/app-env";
import { ApiError, refusalError } from "../http/errors";
import { BUYER_BODY_LIMIT, param } from "../http/validation";
import { buyerSession } from "../middleware/buyer-session";
import { addressRateLimit } from "../middleware/rate-limit";
import { signedRequest, spendNonce } from "../middleware/signed-request";

export const buyerHolds = new Hono<AppEnv>().post(
	"/:holdId/cancel",
	addressRateLimit(),
	buyerSession(),
	signedRequest({ bodyLimit: BUYER_BODY_LIMIT }),
	spendNonce(),
	async (c) => {
		const holdId = param(c, "holdId");
		const { eventId, buyerId, sessionId } = c.get("session");
		const buyer = buyerQuotaOf(c.env, eventId, buyerId);
		const found = await buyer.findHold({ sessionId, nonce: c.get("signed").nonce }, holdId);
		if (found.kind === "missing") {
			// Not this buyer's: say so if it is somebody else's, else it does not exist.
			const { inventory } = await locateHold(c.env, holdId);
			if (!(await inventory.holdOf(holdId))) throw holdNotFound(holdId);
			throw new ApiError("forbidden", "Only the buyer who holds a unit can cancel it.");
		}
		if (found.kind !== "found") throw refusalError(found);
		const listingId = found.hold.listingId;
		const outcome = await listingInventoryOf(c.env, eventId, listingId).cancel(holdId, buyerId);
		if (outcome.kind === "ok") {
			await clearSoldOutInColo(eventId, listingId);
			// The cancel is done: the inventory committed it. Telling the buyer object now only saves the
			// outbox's delivery a moment; if it fails, that delivery follows, and the answer stays 200.
			await buyer.applyHold(outcome.hold).catch((err: unknown) => {
				console.warn("buyer object not told of the cancel; the outbox will", { holdId, error: String(err) });
			});
		}
		return c.json(buyerHoldView(transitioned(outcome)));
	},
);
