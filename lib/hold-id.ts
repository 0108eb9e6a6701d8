// Hold ids that say where their hold lives. Staff confirm a hold, or release it, the moment the claim
// was answered (buyers pay the deposit on the spot), long before the order reaches D1 through the
// queue; so the id itself names the hold's event and listing, and the worker goes straight to that
// listing's inventory object. Clients treat the id as opaque: this is the server's business only.
//
//   "k" + len(eventId) + eventId + len(listingId) + listingId + 16 random characters
//
// Each length is one character of LENGTHS (its index). An id must still match the API's id pattern
// (^[A-Za-z0-9_-]{1,64}$), which leaves 64 − 3 − 16 = 45 characters for eventId and listingId together
// (MAX_ADDRESS_CHARS). Longer pairs get a random "h…" id, found through D1's orders as before
// (worker/holds/locate-hold.ts): those holds can be confirmed once their order reached D1, about a
// second after the grant.
import { randomId } from "./crypto";

export interface HoldAddress {
	eventId: string;
	listingId: string;
}

const VERSION = "k";
const LENGTHS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
export const HOLD_ID_RANDOM_CHARS = 16;
const MAX_ID_CHARS = 64;
/** The most characters eventId and listingId may have together for their holds to carry them. */
export const MAX_ADDRESS_CHARS = MAX_ID_CHARS - 3 - HOLD_ID_RANDOM_CHARS;
const ID = /^[A-Za-z0-9_-]+$/;

/** The id of a new hold of this listing: addressed when the ids fit, random otherwise. */
export function newHoldId(eventId: string, listingId: string): string {
	return encodeHoldId({ eventId, listingId }, randomId("", HOLD_ID_RANDOM_CHARS)) ?? randomId("h", 22);
}

/** The addressed id for `random` (HOLD_ID_RANDOM_CHARS id characters); null when the ids do not fit. */
export function encodeHoldId(address: HoldAddress, random: string): string | null {
	const { eventId, listingId } = address;
	if (eventId.length + listingId.length > MAX_ADDRESS_CHARS) return null;
	if (!ID.test(eventId) || !ID.test(listingId)) return null;
	if (random.length !== HOLD_ID_RANDOM_CHARS || !ID.test(random)) return null;
	return `${VERSION}${LENGTHS[eventId.length]}${eventId}${LENGTHS[listingId.length]}${listingId}${random}`;
}

/**
 * Where an addressed hold id says its hold lives; null for any other string (a random id from before,
 * or one whose ids did not fit), which the caller then looks up in D1. A forged id can only name an
 * inventory object that does not know the hold: it answers not_found.
 */
export function parseHoldId(holdId: string): HoldAddress | null {
	if (holdId.length > MAX_ID_CHARS || !ID.test(holdId) || holdId[0] !== VERSION) return null;
	const eventLength = LENGTHS.indexOf(holdId[1] ?? "");
	if (eventLength < 1) return null;
	const eventId = holdId.slice(2, 2 + eventLength);
	const listingLength = LENGTHS.indexOf(holdId[2 + eventLength] ?? "");
	if (listingLength < 1) return null;
	const listingStart = 3 + eventLength;
	const listingId = holdId.slice(listingStart, listingStart + listingLength);
	if (holdId.length !== listingStart + listingLength + HOLD_ID_RANDOM_CHARS) return null;
	if (eventId.length !== eventLength || listingId.length !== listingLength) return null;
	return { eventId, listingId };
}
