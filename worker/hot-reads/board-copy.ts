// The listing board's availability copy, shared by the isolates of one location (docs/SCALE.md fix 5,
// `boardPerColo`). Each copy is one D1 query (the catalogue and the count of active orders); with a
// copy per isolate, thousands of isolates each reloaded it every half second at the opening, and D1
// has one thread. Here a copy lives in isolate memory and in the Cache API (one per location), and a
// stale copy is refreshed by one request at a time while everyone else gets the previous copy.
//
// The lag bound (API.md: the board may lag the inventory by at most 2 s): a copy is fresh for
// BOARD_FRESH_MS, may be served while one request refreshes it until BOARD_MAX_AGE_MS, and never
// after: past that a request loads its own. D1's orders trail the inventory by about a second (the
// orders queue), so what a buyer sees is at most ~1.7 s behind.
//
// One refresh at a time: in an isolate exactly (a map of who is refreshing); across the isolates of a
// location as nearly as the Cache API allows (the refresher writes the copy back with its start time
// before its query, so one read tells the others both the copy and that it is being refreshed; two
// isolates that look at the same instant may both refresh — a bounded herd, never a wrong answer).
// A mark older than REFRESH_LEASE_MS is ignored, so a refresher that died holds nobody up.
//
// Only plain JSON crosses requests (issue 10): a Cache API Response is read inside the request that
// fetched it, and no request awaits another's promise.
import type { Listing as PublicListing } from "../../client/kaipan-client";

export interface Board {
	listings: PublicListing[];
	asOf: string;
}

interface Copy {
	board: Board;
	/** When its D1 read began (the board is at least this recent). */
	loadedAt: number;
	/** In the location's entry: when a request began refreshing it. */
	refreshingSince?: number;
}

export const BOARD_FRESH_MS = 500;
export const BOARD_MAX_AGE_MS = 700;
const REFRESH_LEASE_MS = 200;
const MAX_EVENTS = 1_000;

let timing = { freshMs: BOARD_FRESH_MS, maxAgeMs: BOARD_MAX_AGE_MS, leaseMs: REFRESH_LEASE_MS };

const memory = new Map<string, Copy>();
const refreshingHere = new Map<string, number>();
let loads = 0;

const boardUrl = (eventId: string) => `https://board.kaipan.internal/${encodeURIComponent(eventId)}`;

/** The event's board: this isolate's copy, the location's, or a fresh one from `load` (see the header). */
export async function boardOf(eventId: string, load: () => Promise<PublicListing[]>): Promise<Board> {
	const now = Date.now();
	let copy = memory.get(eventId);
	if (copy && now - copy.loadedAt < timing.freshMs) return copy.board;
	// This isolate is refreshing it already: the previous copy, without any I/O.
	if (copy && now - copy.loadedAt < timing.maxAgeMs && refreshingSince(eventId, now)) return copy.board;
	const shared = await readJson<Copy>(boardUrl(eventId));
	if (shared && (!copy || shared.loadedAt > copy.loadedAt)) {
		copy = { board: shared.board, loadedAt: shared.loadedAt };
		remember(eventId, copy);
	}
	if (copy && now - copy.loadedAt < timing.freshMs) return copy.board;
	if (copy && now - copy.loadedAt < timing.maxAgeMs) {
		// Claimed here before any await, so that this isolate's other requests see it at once.
		if (refreshingSince(eventId, Date.now())) return copy.board;
		refreshingHere.set(eventId, Date.now());
		try {
			const since = shared?.refreshingSince;
			if (since !== undefined && Date.now() - since < timing.leaseMs) return copy.board;
			await putJson(boardUrl(eventId), { ...copy, refreshingSince: Date.now() }, 1);
			return await reload(eventId, load);
		} finally {
			refreshingHere.delete(eventId);
		}
	}
	// Cold, or too old to serve within the lag bound: this request loads its own.
	return reload(eventId, load);
}

/** Whether a request of this isolate is refreshing the board (a request cancelled mid-way holds it a lease at most). */
function refreshingSince(eventId: string, now: number): boolean {
	const since = refreshingHere.get(eventId);
	return since !== undefined && now - since < timing.leaseMs;
}

async function reload(eventId: string, load: () => Promise<PublicListing[]>): Promise<Board> {
	loads += 1;
	const loadedAt = Date.now();
	const copy: Copy = { board: { listings: await load(), asOf: new Date(loadedAt).toISOString() }, loadedAt };
	const mine = memory.get(eventId);
	if (!mine || mine.loadedAt < loadedAt) remember(eventId, copy);
	await putJson(boardUrl(eventId), copy, Math.max(1, Math.ceil(timing.maxAgeMs / 1000)));
	return copy.board;
}

function remember(eventId: string, copy: Copy): void {
	memory.delete(eventId);
	if (memory.size >= MAX_EVENTS) memory.delete(memory.keys().next().value as string);
	memory.set(eventId, copy);
}

/** Drops the event's board here and in the location (the catalogue changed). */
export async function forgetBoard(eventId: string): Promise<void> {
	memory.delete(eventId);
	await caches.default.delete(boardUrl(eventId)).catch(() => false);
}

async function readJson<T>(url: string): Promise<T | null> {
	try {
		const hit = await caches.default.match(url);
		return hit ? ((await hit.json()) as T) : null;
	} catch (err) {
		console.warn("board cache not read", { url, error: String(err) });
		return null;
	}
}

async function putJson(url: string, value: unknown, maxAgeSeconds: number): Promise<void> {
	try {
		await caches.default.put(
			url,
			new Response(JSON.stringify(value), {
				headers: { "content-type": "application/json", "cache-control": `max-age=${maxAgeSeconds}` },
			}),
		);
	} catch (err) {
		// Best effort: without the location's copy every isolate refreshes for itself, as before.
		console.warn("board cache not written", { url, error: String(err) });
	}
}

/** Tests: how many D1 loads so far; a fresh isolate's memory; wider windows for a slow machine. */
export function boardLoadsForTests(): number {
	return loads;
}

export function forgetBoardMemoryForTests(): void {
	memory.clear();
	refreshingHere.clear();
}

export function setBoardTimingForTests(t: Partial<typeof timing> | null): void {
	timing = t ? { ...timing, ...t } : { freshMs: BOARD_FRESH_MS, maxAgeMs: BOARD_MAX_AGE_MS, leaseMs: REFRESH_LEASE_MS };
}
