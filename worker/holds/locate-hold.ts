// How the worker finds a hold's inventory object from the hold id alone (staff routes, and a buyer's
// cancel of a hold that is not theirs). A hold id names its event and listing (lib/hold-id.ts), so the
// object is known the moment the claim was answered; only ids too long to carry their address (see
// MAX_ADDRESS_CHARS there) are looked up through their order in D1, which has them about a second later.
import { findHoldAddress } from "../../db/orders";
import { listingInventoryOf } from "../../durable-objects/addresses";
import { parseHoldId } from "../../lib/hold-id";
import { ApiError } from "../http/errors";

export async function locateHold(env: Env, holdId: string) {
	const address = parseHoldId(holdId) ?? (await findHoldAddress(env, holdId));
	if (!address) throw holdNotFound(holdId);
	const { eventId, listingId } = address;
	return { eventId, listingId, inventory: listingInventoryOf(env, eventId, listingId) };
}

export function holdNotFound(holdId: string): ApiError {
	return new ApiError("not_found", `No hold ${holdId}.`);
}
