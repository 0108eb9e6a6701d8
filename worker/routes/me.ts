// The logged-in buyer's own view.
import { Hono } from "hono";
import { buyerQuotaOf } from "../../durable-objects/stubs";
import { isoOrNull } from "../../lib/holds";
import type { AppEnv } from "../hono-env";
import { buyerSession, sessionRevoked } from "../middleware/buyer-session";

export const me = new Hono<AppEnv>().get("/holds", buyerSession(), async (c) => {
	const { eventId, buyerId, sessionId } = c.get("session");
	const holds = await buyerQuotaOf(c.env, eventId, buyerId).holds(sessionId);
	if (!holds) throw sessionRevoked();
	return c.json({
		eventId,
		holds: holds.map((h) => ({
			holdId: h.holdId,
			listingId: h.listingId,
			status: h.status,
			expiresAt: isoOrNull(h.expiresAt),
		})),
	});
});
