// The public draw (API.md v1.1: `GET /api/events/:eventId/draw`, and the answer of commit and reveal).
import type { PublicDraw } from "../../client/api-types";
import { buyerIdsOf, drawOrderOf, drawStatus, recordBuyersHash } from "../../db/draws";
import { type EventRow, findEvent } from "../../db/events";
import { buyersHash } from "../../lib/draw";

/** What the route answers: the client's own type (client/api-types.ts), written once for both sides. */
export type DrawView = PublicDraw;

/**
 * The frozen list's fingerprint of a committed event: stored by the commit, or — if the commit's
 * second statement never ran — computed from the list (frozen since the commit) and stored now.
 */
export async function frozenBuyers(env: Env, event: EventRow): Promise<{ buyersHash: string; buyerCount: number }> {
	if (event.buyersHash !== null && event.buyerCount !== null) {
		return { buyersHash: event.buyersHash, buyerCount: event.buyerCount };
	}
	const ids = await buyerIdsOf(env, event.id);
	const frozen = { buyersHash: await buyersHash(ids), buyerCount: ids.length };
	await recordBuyersHash(env, event.id, frozen.buyersHash, frozen.buyerCount);
	// Another writer may have stored it first: the same list gives the same values, but read back.
	const stored = await findEvent(env, event.id);
	return stored?.buyersHash && stored.buyerCount !== null
		? { buyersHash: stored.buyersHash, buyerCount: stored.buyerCount }
		: frozen;
}

export async function drawView(env: Env, event: EventRow): Promise<DrawView> {
	const status = drawStatus(event);
	const frozen = status === "none" ? null : await frozenBuyers(env, event);
	return {
		status,
		seedHash: event.seedHash,
		buyersHash: frozen?.buyersHash ?? null,
		buyerCount: frozen?.buyerCount ?? null,
		committedAt: event.committedAt,
		seed: event.seed,
		beacon: event.beacon,
		drawnAt: event.drawnAt,
		order: status === "drawn" ? await drawOrderOf(env, event.id) : null,
	};
}
