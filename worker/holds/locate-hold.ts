// How the worker finds a hold's inventory object from the hold id alone (staff routes, and a buyer's
// cancel of a hold that is not theirs): through its order in D1.
import { findHoldAddress } from "../../db/orders";
import { listingInventoryOf } from "../../durable-objects/addresses";
import { ApiError } from "../http/errors";

/**
 * Orders reach D1 about a second after the grant, long before staff can have received a deposit for
 * it; a hold D1 does not know yet is 404.
 */
export async function locateHold(env: Env, holdId: string) {
	const address = await findHoldAddress(env, holdId);
	if (!address) throw new ApiError("not_found", `No hold ${holdId}.`);
	return { ...address, inventory: listingInventoryOf(env, address.eventId, address.listingId) };
}
