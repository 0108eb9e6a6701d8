// Most of the crowd at the opening is answered here, from memory, asking no object and writing
// nothing: a claim for a unit this isolate knows to be sold out is 409 (worker/hot-reads/sold-out-flags.ts).
// A buyer who held a unit of it when it sold out goes on to the objects, which answer exactly (200
// with the hold, or a fresh claim if it has since been released).
//
// An isolate with no flag for the unit first looks at its location's sold-out set (fix 4 of
// docs/SCALE.md, worker/hot-reads/sold-out-colo.ts): another isolate may have learnt it already.
//
// The 409 is answered as a ready Response rather than thrown: a thrown error builds a stack trace and
// unwinds every middleware, and this answer is the one the crowd gets most.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { listingInventoryOf } from "../../durable-objects/addresses";
import { learnSoldOutFromColo, publishSoldOut, unpublishSoldOut } from "../hot-reads/sold-out-colo";
import { clearSoldOut, markSoldOut, refusedBySoldOutFlag } from "../hot-reads/sold-out-flags";
import type { AppEnv } from "../http/app-env";
import { soldOut } from "../http/errors";

declare module "hono" {
	interface ContextVariableMap {
		/** Set when the answer is a refusal made without throwing (claim-counter.ts counts it by this code). */
		refusedWith: string;
	}
}

/** Runs after claimTarget. */
export function soldOutGate() {
	return createMiddleware<AppEnv>(async function soldOutGate(c, next) {
		const eventId = c.get("event").id;
		const listingId = c.get("listing").id;
		const buyerId = c.get("session").buyerId;
		const renew = () => c.executionCtx.waitUntil(renewSoldOutFlag(c.env, eventId, listingId));
		if (refusedBySoldOutFlag(eventId, listingId, buyerId, renew)) return soldOutAnswer(c);
		if ((await learnSoldOutFromColo(eventId, listingId)) && refusedBySoldOutFlag(eventId, listingId, buyerId, renew)) {
			return soldOutAnswer(c);
		}
		await next();
	});
}

let soldOutBody: string | null = null;

/** API.md's 409 sold_out, the same bytes every time (the message is soldOut()'s). */
export function soldOutAnswer(c: Context<AppEnv>): Response {
	soldOutBody ??= JSON.stringify({ error: { code: "sold_out", message: soldOut().message } });
	c.set("refusedWith", "sold_out");
	return new Response(soldOutBody, { status: 409, headers: { "content-type": "application/json; charset=utf-8" } });
}

let peeks = 0;

/** Tests: how many read-only peeks this isolate sent to listing objects. */
export function peeksForTests(): number {
	return peeks;
}

/**
 * Renews a flag past its trust: from the location's set if another isolate renewed it already, else
 * by asking the listing's object, read-only, and sharing its answer with the location.
 */
export async function renewSoldOutFlag(env: Env, eventId: string, listingId: string): Promise<void> {
	try {
		if (await learnSoldOutFromColo(eventId, listingId, { force: true })) return;
		peeks += 1;
		const taken = await listingInventoryOf(env, eventId, listingId).peek();
		if (taken) {
			markSoldOut(eventId, listingId, taken);
			await publishSoldOut(eventId, listingId);
		} else {
			clearSoldOut(eventId, listingId);
			await unpublishSoldOut(eventId, listingId);
		}
	} catch (err) {
		// Unsure: drop the flag, so claims go to the object, which knows.
		clearSoldOut(eventId, listingId);
		console.warn("sold-out flag not renewed", { eventId, listingId, error: String(err) });
	}
}
