// GET /api/events/:eventId/live — the WebSocket of API.md's "Live updates". Staff come with a live
// ticket (?ticket=…), buyers with their session (cookie or Bearer). Everything is checked here, at the
// edge, before the upgrade is forwarded to the event's hub (staff) or one of its shards (buyers,
// worker/live/shard-route.ts), which trust what this route tells them. `?v=2` asks for batched frames.
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { LIVE_V2_QUERY } from "../../client/live-frames";
import { buyerQuotaOf, dashboardHubOf } from "../../durable-objects/addresses";
import { HUB_HEADERS } from "../../durable-objects/live-sockets";
import { loadSwitches } from "../hot-reads/switches";
import type { AppEnv } from "../http/app-env";
import { ApiError, sessionRevoked } from "../http/errors";
import { param } from "../http/validation";
import { connectBuyer } from "../live/shard-route";
import { buyerSession } from "../middleware/buyer-session";
import { requireEvent } from "../middleware/require-event";
import { verifyLiveTicket } from "../tokens/live-ticket";

export const live = new Hono<AppEnv>().get(
	"/:eventId/live",
	requireUpgrade(),
	requireEvent(),
	staffByTicket(),
	buyerSession(),
	async (c) => {
		const eventId = param(c, "eventId");
		const session = c.get("session");
		if (session.eventId !== eventId) throw new ApiError("forbidden", "This session belongs to another event.");
		// A cookie rides along on any WebSocket a page opens, even one a foreign page opens: only our own
		// pages may use it (SameSite=Strict already stops most of this; Origin is the second lock).
		const origin = c.req.header("origin");
		if (session.via === "cookie" && origin !== undefined && origin !== new URL(c.req.url).origin) {
			throw new ApiError("forbidden", "Cross-origin pages may not open the live feed with the session cookie.");
		}
		if ((await loadSwitches(c.env, eventId)).buyerLiveOff) {
			throw new ApiError("degraded", "Live updates for buyers are switched off; the page refreshes instead.", {
				retryAfter: 30,
			});
		}
		if (!(await buyerQuotaOf(c.env, eventId, session.buyerId).isSessionCurrent(session.sessionId))) {
			throw sessionRevoked();
		}
		return connectBuyer(c.env, eventId, session.buyerId, {
			[HUB_HEADERS.role]: "buyer",
			[HUB_HEADERS.sessionId]: session.sessionId,
			...versionHeader(c.req.query(LIVE_V2_QUERY.name)),
		});
	},
);

function requireUpgrade() {
	return createMiddleware<AppEnv>(async function requireUpgrade(c, next) {
		if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
			throw new ApiError("invalid_request", "upgrade: this endpoint is a WebSocket (Upgrade: websocket)", {
				details: { field: "upgrade" },
			});
		}
		await next();
	});
}

/** With ?ticket= the caller is staff and the buyer session is not consulted. */
function staffByTicket() {
	return createMiddleware<AppEnv>(async function staffByTicket(c, next) {
		const ticket = c.req.query("ticket");
		if (ticket === undefined) return next();
		const eventId = param(c, "eventId");
		const claims = await verifyLiveTicket(c.env.SESSION_SECRET, ticket);
		if (!claims || claims.eventId !== eventId) {
			throw new ApiError("forbidden", "The live ticket is invalid, expired or for another event.");
		}
		return forward(c.env, eventId, {
			[HUB_HEADERS.role]: "staff",
			[HUB_HEADERS.ticketId]: claims.ticketId,
			[HUB_HEADERS.ticketExpiresAt]: String(claims.expiresAt),
			...versionHeader(c.req.query(LIVE_V2_QUERY.name)),
		});
	});
}

/** `?v=2`: batched `listings` frames; anything else (or nothing) is API.md's v1 feed. */
function versionHeader(v: string | undefined): Record<string, string> {
	return v === LIVE_V2_QUERY.value ? { [HUB_HEADERS.version]: "2" } : {};
}

async function forward(env: Env, eventId: string, headers: Record<string, string>): Promise<Response> {
	const request = new Request("https://hub.internal/connect", {
		headers: { upgrade: "websocket", [HUB_HEADERS.eventId]: eventId, ...headers },
	});
	const res = await dashboardHubOf(env, eventId).fetch(request);
	// A stub's answer has immutable headers; the app's middleware adds its own, so hand on a copy.
	return res.webSocket
		? new Response(null, { status: 101, webSocket: res.webSocket, headers: res.headers })
		: new Response(res.body, res);
}
