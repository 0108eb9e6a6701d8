// The buyer's wish list (收藏, API.md v1.1 "Wish lists and auto-claim"): PUT and GET /api/me/wishlist.
// The buyer's object keeps the list (and runs auto-claim from it); the edge validates the body against
// the event's catalogue and hands the object the buyer's entry time, after which the list is locked.
//
// Not signed (docs/API.md says why): API.md signs claims and cancels only, and clients are built to
// that; a wish list grants nothing by itself, and what auto-claim later grants is bounded by the same
// per-buyer limit as the buyer's own claims. It takes what every buyer mutation takes: a session,
// application/json only, 16 KiB, the same-origin check for the cookie (worker/app.ts).
import { Hono } from "hono";
import { z } from "zod";
import { buyerQuotaOf } from "../../durable-objects/addresses";
import { autoClaimDueAt } from "../../lib/auto-claim";
import { openedAtMs } from "../../lib/event-rules";
import { loadListing } from "../hot-reads/catalogue";
import type { AppEnv } from "../http/app-env";
import { ApiError, sessionRevoked } from "../http/errors";
import { BUYER_BODY_LIMIT, idSchema, readJson, requireJsonBody } from "../http/validation";
import { turnOf } from "../lottery/turn";
import { buyerSession } from "../middleware/buyer-session";
import { existingEvent } from "../middleware/require-event";

/** API.md: at most 10 distinct listing ids of the event, best first. */
export const MAX_WISHES = 10;

export const wishlistBody = z.strictObject({
	listingIds: z
		.array(idSchema)
		.max(MAX_WISHES)
		.refine((ids) => new Set(ids).size === ids.length, "must not name a listing twice"),
	autoClaim: z.boolean().default(false),
});

function wishlistLocked(entryAtMs: number): ApiError {
	const at = new Date(entryAtMs).toISOString();
	return new ApiError("event_locked", `Your entry time (${at}) has passed; the wish list can no longer change.`);
}

export const wishlist = new Hono<AppEnv>()
	.get("/", buyerSession(), async (c) => {
		const { eventId, buyerId, sessionId } = c.get("session");
		const list = await buyerQuotaOf(c.env, eventId, buyerId).wishlist(sessionId);
		if (!list) throw sessionRevoked();
		return c.json(list);
	})
	.put("/", buyerSession(), async (c) => {
		requireJsonBody(c);
		const { listingIds, autoClaim } = await readJson(c, wishlistBody, BUYER_BODY_LIMIT);
		const { eventId, buyerId, sessionId } = c.get("session");
		const event = await existingEvent(c.env, eventId);
		const unknown: string[] = [];
		for (const id of listingIds) if (!(await loadListing(c.env, eventId, id))) unknown.push(id);
		if (unknown.length > 0) {
			throw new ApiError("invalid_request", `listingIds: not listings of event ${eventId}: ${unknown.join(", ")}`, {
				details: { field: "listingIds" },
			});
		}
		// The buyer's entry time locks the list (null: a lottery event not drawn yet, so not known).
		const { entryAtMs } = await turnOf(c.env, event, buyerId);
		if (entryAtMs !== null && Date.now() >= entryAtMs) throw wishlistLocked(entryAtMs);
		const dueAt = autoClaimDueAt(entryAtMs ?? openedAtMs(event), event.autoClaimDelaySeconds);
		const outcome = await buyerQuotaOf(c.env, eventId, buyerId).setWishlist(sessionId, {
			listingIds,
			autoClaim,
			lockAt: entryAtMs,
			dueAt,
		});
		if (outcome.kind === "session_revoked") throw sessionRevoked();
		if (outcome.kind === "event_locked") throw wishlistLocked(outcome.lockAt);
		return c.json(outcome.wishlist);
	});
