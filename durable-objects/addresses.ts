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

/** One ledger per event: the single writer of its hash chain. */
export function eventLedgerOf(env: Env, eventId: string) {
	return env.EVENT_LEDGER.getByName(eventId);
}
