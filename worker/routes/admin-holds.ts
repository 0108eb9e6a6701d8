// Operator routes on one hold: deposit received (confirm) or staff release.
import { Hono } from "hono";
import { staffHoldView, transitioned } from "../holds/hold-views";
import { locateHold } from "../holds/locate-hold";
import { clearSoldOut } from "../hot-reads/sold-out-flags";
import type { AppEnv } from "../http/app-env";
import { param } from "../http/validation";

export const adminHolds = new Hono<AppEnv>()
	.post("/:holdId/confirm", async (c) => {
		const { inventory } = await locateHold(c.env, param(c, "holdId"));
		return c.json({ hold: staffHoldView(transitioned(await inventory.confirm(param(c, "holdId")))) });
	})
	.post("/:holdId/release", async (c) => {
		const { inventory, eventId, listingId } = await locateHold(c.env, param(c, "holdId"));
		const hold = staffHoldView(transitioned(await inventory.release(param(c, "holdId"))));
		clearSoldOut(eventId, listingId);
		return c.json({ hold });
	});
