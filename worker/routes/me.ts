// The logged-in buyer's own view.
import { Hono } from "hono";
import { buyerQuotaOf } from "../../durable-objects/addresses";
import { buyerHoldView } from "../holds/hold-views";
import type { AppEnv } from "../http/app-env";
import { sessionRevoked } from "../http/errors";
import { buyerSession } from "../middleware/buyer-session";

export const me = new Hono<AppEnv>().get("/holds", buyerSession(), async (c) => {
	const { eventId, buyerId, sessionId } = c.get("session");
	const holds = await buyerQuotaOf(c.env, eventId, buyerId).holds(sessionId);
	if (!holds) throw sessionRevoked();
	return c.json({
		eventId,
		holds: holds.map(buyerHoldView),
	});
});
