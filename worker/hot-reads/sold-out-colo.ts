// The location's sold-out set (docs/SCALE.md fix 4, `pushSoldOut`): every isolate of a Cloudflare
// location learns that a unit sold out without asking its listing object. Without it each of the
// thousands of isolates learns only from its own claim, so the hottest unit's object answers one
// losing claim per isolate in the opening's first second.
//
// One Cache API entry per listing (the Cache API is shared by the isolates of one location; per
// listing, so that two isolates recording two units never overwrite each other's news). The isolate
// whose claim or peek was answered "sold out" writes its flag there (the holders and the time the
// flag is trusted until, sold-out-flags.ts); an isolate with no flag for a unit looks there before it
// forwards a claim, at most once per COLO_CHECK_MS per unit, so it is at most that late. A shared flag
// is only ever a refusal, with the same trust bound as the isolate's own, and a free that passes
// through an isolate deletes it (a free elsewhere is seen when the flag's trust ends, as before).
//
// Only plain JSON crosses requests (issue 10): the Response is read inside the request that fetched it.
import { adoptSoldOut, clearSoldOut, hasSoldOutFlag, soldOutFlagOf } from "./sold-out-flags";

/** How often, at most, an isolate asks the location about a unit it has no flag for. */
export const COLO_CHECK_MS = 100;

/** Must exceed the flags' stale window so that an entry never outlives what it says. */
const MAX_AGE_SLACK_MS = 1_000;

interface SharedFlag {
	until: number;
	holders: string[];
	setAt: number;
}

export const soldOutCacheUrl = (eventId: string, listingId: string) =>
	`https://sold-out.kaipan.internal/${encodeURIComponent(eventId)}/${encodeURIComponent(listingId)}`;

/** When this isolate last asked the location about each unit it had no flag for. */
const lastAsked = new Map<string, number>();

let lookups = 0;

/** Shares this isolate's flag for the listing with its location (after markSoldOut). */
export async function publishSoldOut(eventId: string, listingId: string, now = Date.now()): Promise<void> {
	const flag = soldOutFlagOf(eventId, listingId);
	if (!flag || flag.until <= now) return;
	const body: SharedFlag = { ...flag, setAt: now };
	const maxAge = Math.max(1, Math.ceil((flag.until - now + MAX_AGE_SLACK_MS) / 1000));
	try {
		await caches.default.put(
			soldOutCacheUrl(eventId, listingId),
			new Response(JSON.stringify(body), {
				headers: { "content-type": "application/json", "cache-control": `max-age=${maxAge}` },
			}),
		);
	} catch (err) {
		// Best effort: the other isolates then learn from their own claims, as without this.
		console.warn("sold-out flag not shared", { eventId, listingId, error: String(err) });
	}
}

/** Removes the location's flag: a free passed through this isolate (cancel, release, a peek found it free). */
export async function unpublishSoldOut(eventId: string, listingId: string): Promise<void> {
	try {
		await caches.default.delete(soldOutCacheUrl(eventId, listingId));
	} catch (err) {
		console.warn("shared sold-out flag not removed", { eventId, listingId, error: String(err) });
	}
}

/** A free passed through this isolate: drop its flag and the location's, so claims go on at once. */
export async function clearSoldOutInColo(eventId: string, listingId: string): Promise<void> {
	clearSoldOut(eventId, listingId);
	await unpublishSoldOut(eventId, listingId);
}

/**
 * For a claim on a unit this isolate has no flag for: adopts the location's flag if there is one
 * (the caller then asks the isolate's flags again). At most one Cache API read per unit per
 * COLO_CHECK_MS; `force` reads regardless (the renewal of a stale flag).
 */
export async function learnSoldOutFromColo(
	eventId: string,
	listingId: string,
	options: { force?: boolean; now?: number } = {},
): Promise<boolean> {
	const now = options.now ?? Date.now();
	const k = `${eventId}:${listingId}`;
	if (!options.force) {
		if (hasSoldOutFlag(eventId, listingId)) return false;
		const asked = lastAsked.get(k);
		if (asked !== undefined && now - asked < COLO_CHECK_MS) return false;
		if (lastAsked.size >= 100_000) lastAsked.clear();
		lastAsked.set(k, now);
	}
	lookups += 1;
	try {
		const hit = await caches.default.match(soldOutCacheUrl(eventId, listingId));
		if (!hit) return false;
		const shared = (await hit.json()) as SharedFlag;
		return adoptSoldOut(eventId, listingId, shared, Date.now());
	} catch (err) {
		console.warn("shared sold-out flag not read", { eventId, listingId, error: String(err) });
		return false;
	}
}

/** Tests: how many times the location's set was read, and a fresh isolate's memory of asking. */
export function coloLookupsForTests(): number {
	return lookups;
}

export function resetColoMemoryForTests(): void {
	lastAsked.clear();
}
