// Claim outcomes for the staff dashboard (claimsPerSecond, rejections by code), counted per isolate
// and reported in batches to one of the event's live shards, which sums them on to the hub
// (worker/live/claim-report.ts). Hold changes reach the hub from the inventory objects
// themselves (ListingInventory pushes each change right after its transaction). Best-effort and after
// the response is decided (waitUntil): a hub that is slow or down never slows or fails a claim.
//
// Only requests that passed authentication are counted, and only for their own session's event
// (issue 10): an anonymous or forged request counts nowhere, so it can neither fake load on the staff's
// stats nor make the worker address (and create) a hub for an id it made up. A session's event id
// was validated and found when the session was issued.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { ClaimCounts } from "../../durable-objects/dashboard-hub";
import type { AppEnv } from "../http/app-env";
import { ApiError } from "../http/errors";
import { COUNTS_WINDOW_MS, countsWindowMs, reportClaims } from "../live/claim-report";

/** How long an isolate gathers claim counts before it reports them (at most; ±10 %): one RPC per event per window. */
export const REPORT_WINDOW_MS = COUNTS_WINDOW_MS * 1.1;

const tallies = new Map<string, ClaimCounts>();

/**
 * Mount on `POST /api/events/:eventId/claims` before every limit, so that an authenticated buyer's
 * 429s are counted too; it counts only once buyerSession has put a session on the context.
 */
export function claimCounter() {
	return createMiddleware<AppEnv>(async function claimCounter(c, next) {
		await next();
		if (c.req.method !== "POST") return;
		const session: { eventId: string } | undefined = c.get("session");
		if (!session || session.eventId !== c.req.param("eventId")) return;
		count(c, session.eventId, c.res.ok ? null : await errorCode(c));
	});
}

function count(c: Context<AppEnv>, eventId: string, code: string | null): void {
	let tally = tallies.get(eventId);
	if (!tally) {
		tally = { granted: 0, rejected: {} };
		tallies.set(eventId, tally);
		const report = async () => {
			await new Promise((resolve) => setTimeout(resolve, countsWindowMs()));
			const counts = tallies.get(eventId);
			tallies.delete(eventId);
			if (counts) await reportClaims(c.env, eventId, counts);
		};
		c.executionCtx.waitUntil(
			report().catch((err) => console.warn("claim counts not reported", { error: String(err) })),
		);
	}
	if (code === null) tally.granted += 1;
	else tally.rejected[code] = (tally.rejected[code] ?? 0) + 1;
}

async function errorCode(c: Context<AppEnv>): Promise<string> {
	const refused: string | undefined = c.get("refusedWith");
	if (refused) return refused;
	if (c.error instanceof ApiError) return c.error.code;
	try {
		const body = (await c.res.clone().json()) as { error?: { code?: unknown } };
		return typeof body.error?.code === "string" ? body.error.code : `http_${c.res.status}`;
	} catch {
		return `http_${c.res.status}`;
	}
}
