// Operator routes on one hold: deposit received (confirm) or staff release. Both go straight to the
// hold's inventory object (worker/holds/locate-hold.ts), so they work the moment the claim was answered.
// The object records the change in the event's ledger (through its outbox) under the staff member's name.
import { Hono } from "hono";
import { staffHoldView, transitioned } from "../holds/hold-views";
import { locateHold } from "../holds/locate-hold";
import { clearSoldOutInColo } from "../hot-reads/sold-out-colo";
import type { AppEnv } from "../http/app-env";
import { param } from "../http/validation";

export const adminHolds = new Hono<AppEnv>()
	.post("/:holdId/confirm", async (c) => {
		const holdId = param(c, "holdId");
		const { inventory, eventId, listingId } = await locateHold(c.env, holdId);
		const outcome = await inventory.confirm(holdId, c.get("staff").actor);
		// A hold past its time is expired by the confirm itself (409): its unit is free from now on.
		if (outcome.kind === "not_active" && outcome.hold.status === "expired") {
			await clearSoldOutInColo(eventId, listingId);
		}
		return c.json({ hold: staffHoldView(transitioned(outcome)) });
	})
	.post("/:holdId/release", async (c) => {
		const holdId = param(c, "holdId");
		const { inventory, eventId, listingId } = await locateHold(c.env, holdId);
		const hold = staffHoldView(transitioned(await inventory.release(holdId, c.get("staff").actor)));
		await clearSoldOutInColo(eventId, listingId);
		return c.json({ hold });
	});
