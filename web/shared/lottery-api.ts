// The lottery and wish-list calls the pages make (API.md v1.1 "Lottery-ordered events", "Wish lists
// and auto-claim"), and the one formula the pages need to say who enters when. The buyer's calls
// ride on the HttpOnly session cookie (same origin), like the rest of the buyer page; the public draw
// needs no credential at all, which is the point of it.
import type { PublicDraw, Turn, Wishlist } from "../../client/api-types";
import { parseApiResponse } from "../../client/kaipan-client";
import { openedAtMs } from "../../lib/event-rules";

export type { PublicDraw, Turn, Wishlist };

/** API.md: a wish list names at most this many listings. */
export const WISHLIST_MAX = 10;
/** API.md: `autoClaimDelaySeconds` when the event does not say. */
export const AUTO_CLAIM_DELAY_DEFAULT = 30;

const at = (eventId: string) => `/api/events/${encodeURIComponent(eventId)}`;

/** The public draw: the commitment before the reveal, the seed and the order after it. */
export async function fetchDraw(eventId: string): Promise<PublicDraw> {
	return (await parseApiResponse<{ draw: PublicDraw }>(await fetch(`${at(eventId)}/draw`, { cache: "no-store" }))).draw;
}

/** The signed-in buyer's turn (position and batch 0-based; null before the reveal). */
export async function fetchTurn(): Promise<Turn> {
	return parseApiResponse<Turn>(await fetch("/api/me/turn", { cache: "no-store" }));
}

export async function fetchWishlist(): Promise<Wishlist> {
	return parseApiResponse<Wishlist>(await fetch("/api/me/wishlist", { cache: "no-store" }));
}

export async function saveWishlist(list: Wishlist): Promise<Wishlist> {
	return parseApiResponse<Wishlist>(
		await fetch("/api/me/wishlist", {
			method: "PUT",
			headers: { "content-type": "application/json" },
			body: JSON.stringify(list),
		}),
	);
}

/** The moment the event opened (or will, if it opens on time), as the server computes entry times. */
export function openedAt(event: {
	startsAt: string;
	endsAt: string;
	statusMode: string;
	openedAt: string | null;
	mode: string;
	drawnAt: string | null;
}): number {
	return openedAtMs(event);
}

/** The 0-based batch entering at `now` (negative before the opening). */
export function batchAt(now: number, openedAtMs: number, batchSeconds: number): number {
	return Math.floor((now - openedAtMs) / (batchSeconds * 1000));
}

/** A hash as a person reads it: in groups of four (the ledger head's style). */
export function hashGroups(hash: string): string[] {
	return hash.match(/.{1,4}/g) ?? [];
}
