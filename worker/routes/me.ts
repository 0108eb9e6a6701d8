// The logged-in buyer's own view.
import { Hono } from "hono";
import { buyerQuotaOf } from "../../durable-objects/addresses";
import { buyerHoldView } from "../holds/hold-views";
import type { AppEnv } from "../http/app-env";
import { sessionRevoked } from "../http/errors";
import { turnOf } from "../lottery/turn";
import { buyerSession } from "../middleware/buyer-session";
import { existingEvent } from "../middleware/require-event";
import { wishlist } from "../wishlist/wishlist-routes";

export const me = new Hono<AppEnv>()
	// API.md v1.1: the buyer's turn. position and batch are 0-based; null in a race event (and entryAt
	// null in a lottery event not drawn yet, since no position exists before the reveal).
	.get("/turn", buyerSession(), async (c) => {
		const { eventId, buyerId } = c.get("session");
		const event = await existingEvent(c.env, eventId);
		const turn = await turnOf(c.env, event, buyerId);
		return c.json({
			mode: turn.mode,
			position: turn.position,
			batch: turn.batch,
			entryAt: turn.entryAtMs === null ? null : new Date(turn.entryAtMs).toISOString(),
		});
	})
	.get("/holds", buyerSession(), async (c) => {
		const { eventId, buyerId, sessionId } = c.get("session");
		const holds = await buyerQuotaOf(c.env, eventId, buyerId).holds(sessionId);
		if (!holds) throw sessionRevoked();
		return c.json({
			eventId,
			holds: holds.map(buyerHoldView),
		});
	})
	// API.md v1.1 "Wish lists and auto-claim".
	.route("/wishlist", wishlist);
