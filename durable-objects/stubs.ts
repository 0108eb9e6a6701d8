// How the worker and the objects address each other. Ids never contain ":" (API id pattern), so the
// joined names cannot collide across events.

export function listingInventoryOf(env: Env, eventId: string, listingId: string) {
	return env.LISTING_INVENTORY.getByName(`${eventId}:${listingId}`);
}

export function buyerQuotaOf(env: Env, eventId: string, buyerId: string) {
	return env.BUYER_QUOTA.getByName(`${eventId}:${buyerId}`);
}
