// The listing a claim is for: the `listingId` of the signed body, looked up in the event's hot
// catalogue. A listing the event does not have is 404 before any object is asked.
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { type ListingRow, loadListing } from "../hot-reads/catalogue";
import type { AppEnv } from "../http/app-env";
import { ApiError } from "../http/errors";
import { idSchema, parseJson } from "../http/validation";

export const claimBody = z.strictObject({ listingId: idSchema });

declare module "hono" {
	interface ContextVariableMap {
		/** Set by claimTarget: the catalogue row of the listing being claimed. */
		listing: ListingRow;
	}
}

/** Runs after signedRequest (the body is the signed bytes) and requireOpenEvent (the event is known). */
export function claimTarget() {
	return createMiddleware<AppEnv>(async function claimTarget(c, next) {
		const eventId = c.get("event").id;
		const { listingId } = parseJson(c.get("signed").body, claimBody);
		const listing = await loadListing(c.env, eventId, listingId);
		if (!listing) throw new ApiError("not_found", `No listing ${listingId} in event ${eventId}.`);
		c.set("listing", listing);
		await next();
	});
}
