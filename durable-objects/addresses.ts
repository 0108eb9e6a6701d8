// How the worker and the objects address each other: one place for every object's name. Ids never
// contain ":" (API id pattern), so the joined names cannot collide across events.
//
// Placement (docs/SCALE.md fix 1, "Fairness across regions"): an object is created near whoever first
// asks for it, unless the stub carries a location hint. An event may name a region (events.region, a
// DurableObjectLocationHint); every stub of the event's listing, buyer, hub and ledger objects then
// carries it. A hint only matters when an object is created — afterwards it stays where it is — so the
// event's prepare step (worker/opening/prepare.ts), which creates them all before the opening, is
// where placement is decided; the stubs made later carry it too, for objects created after that (a
// buyer's first claim). The region is remembered per isolate from the event row whenever one is
// loaded (rememberRegion), so no call site needs to pass it.

/** The event's region as last loaded in this isolate; absent: no hint. */
const regions = new Map<string, DurableObjectLocationHint>();

/** Called with every event row this isolate loads: the stubs of its objects carry its region. */
export function rememberRegion(eventId: string, region: DurableObjectLocationHint | null | undefined): void {
	if (region) regions.set(eventId, region);
	else regions.delete(eventId);
}

/** The stub options of an event's objects: its location hint, when it names a region. */
export function placementOf(eventId: string): DurableObjectNamespaceGetDurableObjectOptions | undefined {
	const locationHint = regions.get(eventId);
	return locationHint ? { locationHint } : undefined;
}

/** One inventory object per listing: the unit's lock. */
export function listingInventoryOf(env: Env, eventId: string, listingId: string) {
	return env.LISTING_INVENTORY.getByName(`${eventId}:${listingId}`, placementOf(eventId));
}

/** One quota object per buyer and event: the buyer's limit and single device. */
export function buyerQuotaOf(env: Env, eventId: string, buyerId: string) {
	return env.BUYER_QUOTA.getByName(`${eventId}:${buyerId}`, placementOf(eventId));
}

/** One hub per event: the live feed of its dashboards and buyer pages. */
export function dashboardHubOf(env: Env, eventId: string) {
	return env.DASHBOARD_HUB.getByName(eventId, placementOf(eventId));
}

/**
 * Input `k` of the event's live feed (0 … LIVE_FEED_INPUTS − 1): the listings whose id hashes to k push
 * their hold changes here (lib/feed-partition.ts), and it forwards its batches to every subscriber.
 */
export function feedInputOf(env: Env, eventId: string, k: number) {
	return env.FEED_INPUT.getByName(`${eventId}/${k}`, placementOf(eventId));
}

/** Shard `idx` of the event's live feed: up to HUB_SHARD_SOCKETS buyer sockets (docs/LIVE.md "Scale"). */
export function hubShardOf(env: Env, eventId: string, idx: number) {
	return env.HUB_SHARD.getByName(`${eventId}:${idx}`);
}

/** One ledger per event: the single writer of its hash chain. */
export function eventLedgerOf(env: Env, eventId: string) {
	return env.EVENT_LEDGER.getByName(eventId, placementOf(eventId));
}
