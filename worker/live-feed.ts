// Feeds the event's dashboard hub from the edge, beside the orders queue:
//  - claim outcomes are counted per isolate and reported in batches (claimsPerSecond, rejections);
//  - a hold the API just granted, confirmed, released or cancelled is pushed at once. The queue path
//    reaches the hub only after its batch window (up to 1 s) and a D1 write; this fast path keeps the
//    dashboards inside API.md's one second. Both paths carry the same (hold, status, version), so the
//    hub applies whichever arrives first and ignores the other.
// Everything here is best-effort and runs after the response is decided (waitUntil): a hub that is
// slow or down never slows or fails a claim.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { type ClaimCounts, dashboardHubOf, type HoldChange } from "../durable-objects/dashboard-hub";
import type { HoldStatus } from "../lib/holds";
import { ApiError } from "./errors";
import type { AppEnv } from "./hono-env";
import type { BuyerSession } from "./middleware/buyer-session";

/** How long an isolate gathers claim counts before it reports them: one RPC per event per window. */
export const REPORT_WINDOW_MS = 500;

const tallies = new Map<string, ClaimCounts>();

/** Mount on `POST /api/events/:eventId/claims`, outside the claim route's own checks. */
export function claimFeed() {
	return createMiddleware<AppEnv>(async function claimFeed(c, next) {
		await next();
		const eventId = c.req.param("eventId");
		if (c.req.method !== "POST" || !eventId) return;
		const res = c.res;
		const code = res.ok ? null : await errorCode(c);
		count(c, eventId, code);
		if (res.status === 201) {
			const hold = await holdOf(res);
			if (hold) push(c, eventId, hold);
		}
	});
}

/** Mount on the buyer's cancel and the staff's confirm/release: the unit changes state at once. */
export function holdFeed() {
	return createMiddleware<AppEnv>(async function holdFeed(c, next) {
		await next();
		if (c.req.method !== "POST" || c.res.status !== 200) return;
		const hold = await holdOf(c.res);
		if (!hold) return;
		// A buyer's session names the event; staff routes name only the hold, so D1 is asked (rare).
		const session: BuyerSession | undefined = c.get("session");
		push(c, session ? session.eventId : eventOfHold(c.env, hold.holdId), hold);
	});
}

function count(c: Context<AppEnv>, eventId: string, code: string | null): void {
	let tally = tallies.get(eventId);
	if (!tally) {
		tally = { granted: 0, rejected: {} };
		tallies.set(eventId, tally);
		const report = async () => {
			await new Promise((resolve) => setTimeout(resolve, REPORT_WINDOW_MS));
			const counts = tallies.get(eventId);
			tallies.delete(eventId);
			if (counts) await dashboardHubOf(c.env, eventId).recordClaims(eventId, counts);
		};
		c.executionCtx.waitUntil(
			report().catch((err) => console.warn("claim counts not reported", { error: String(err) })),
		);
	}
	if (code === null) tally.granted += 1;
	else tally.rejected[code] = (tally.rejected[code] ?? 0) + 1;
}

function push(c: Context<AppEnv>, event: string | Promise<string | null>, hold: HoldChange): void {
	const send = async () => {
		const eventId = await event;
		if (eventId) await dashboardHubOf(c.env, eventId).applyHolds(eventId, [hold]);
	};
	c.executionCtx.waitUntil(
		send().catch((err) => console.warn("hub fast path failed; the queue path follows", { error: String(err) })),
	);
}

/**
 * The hold in a 200/201 answer (`{holdId, listingId, status}` or `{hold: {…}}`). Its version is not in
 * the answer but follows from its status: a hold is granted `held` at version 1 and leaves `held`
 * exactly once (docs/PROTOCOL.md), so every other status is version 2. The queue path carries the
 * stored version; if that rule ever changes, the hub's version check keeps the higher one.
 */
async function holdOf(res: Response): Promise<HoldChange | null> {
	try {
		const body = (await res.clone().json()) as Record<string, unknown>;
		const h = (typeof body.hold === "object" && body.hold !== null ? body.hold : body) as Record<string, unknown>;
		if (typeof h.holdId !== "string" || typeof h.listingId !== "string" || typeof h.status !== "string") return null;
		const status = h.status as HoldStatus;
		return { holdId: h.holdId, listingId: h.listingId, status, version: status === "held" ? 1 : 2 };
	} catch {
		return null;
	}
}

async function errorCode(c: Context<AppEnv>): Promise<string> {
	if (c.error instanceof ApiError) return c.error.code;
	try {
		const body = (await c.res.clone().json()) as { error?: { code?: unknown } };
		return typeof body.error?.code === "string" ? body.error.code : `http_${c.res.status}`;
	} catch {
		return `http_${c.res.status}`;
	}
}

async function eventOfHold(env: Env, holdId: string): Promise<string | null> {
	const row = await env.DB.prepare("SELECT event_id FROM orders WHERE hold_id = ?")
		.bind(holdId)
		.first<{ event_id: string }>();
	return row?.event_id ?? null;
}
