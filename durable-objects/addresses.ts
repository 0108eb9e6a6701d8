// How the worker and the objects address each other: one place for every object's name. Ids never
// contain ":" (API id pattern), so the joined names cannot collide across events.

/** One inventory object per listing: the unit's lock. */
export function listingInventoryOf(env: Env, eventId: string, listingId: string) {
	return env.LISTING_INVENTORY.getByName(`${eventId}:${listingId}`);
}

/** One quota object per buyer and event: the buyer's limit and single device. */
export function buyerQuotaOf(env: Env, eventId: string, buyerId: string) {
	return env.BUYER_QUOTA.getByName(`${eventId}:${buyerId}`);
}

/** One hub per event: the live feed of its dashboards and buyer pages. */
export function dashboardHubOf(env: Env, eventId: string) {
	return env.DASHBOARD_HUB.getByName(eventId);
}

/** Shard `idx` of the event's live feed: up to HUB_SHARD_SOCKETS buyer sockets (docs/LIVE.md "Scale"). */
export function hubShardOf(env: Env, eventId: string, idx: number) {
	return env.HUB_SHARD.getByName(`${eventId}:${idx}`);
}

/** One ledger per event: the single writer of its hash chain. */
export function eventLedgerOf(env: Env, eventId: string) {
	return env.EVENT_LEDGER.getByName(eventId);
}
