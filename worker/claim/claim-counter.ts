// Claim outcomes for the staff dashboard (claimsPerSecond, rejections by code), counted per isolate
// and reported to the event's hub in batches. Hold changes reach the hub from the inventory objects
// themselves (ListingInventory pushes each change right after its transaction). Best-effort and after
// the response is decided (waitUntil): a hub that is slow or down never slows or fails a claim.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { dashboardHubOf } from "../../durable-objects/addresses";
import type { ClaimCounts } from "../../durable-objects/dashboard-hub";
import type { AppEnv } from "../http/app-env";
import { ApiError } from "../http/errors";

/** How long an isolate gathers claim counts before it reports them: one RPC per event per window. */
export const REPORT_WINDOW_MS = 500;

const tallies = new Map<string, ClaimCounts>();

/** Mount on `POST /api/events/:eventId/claims` before every limit, so that 429s are counted too. */
export function claimCounter() {
	return createMiddleware<AppEnv>(async function claimCounter(c, next) {
		await next();
		const eventId = c.req.param("eventId");
		if (c.req.method !== "POST" || !eventId) return;
		count(c, eventId, c.res.ok ? null : await errorCode(c));
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

async function errorCode(c: Context<AppEnv>): Promise<string> {
	if (c.error instanceof ApiError) return c.error.code;
	try {
		const body = (await c.res.clone().json()) as { error?: { code?: unknown } };
		return typeof body.error?.code === "string" ? body.error.code : `http_${c.res.status}`;
	} catch {
		return `http_${c.res.status}`;
	}
}
