// Operator routes on one hold: deposit received (confirm) or staff release.
import { Hono } from "hono";
import { holdView, locateHold } from "../holds";
import type { AppEnv } from "../hono-env";
import { clearSoldOut } from "../sold-out-flags";
import { param } from "../validation";

export const adminHolds = new Hono<AppEnv>()
	.post("/:holdId/confirm", async (c) => {
		const { inventory } = await locateHold(c.env, param(c, "holdId"));
		return c.json({ hold: holdView(await inventory.confirm(param(c, "holdId"))) });
	})
	.post("/:holdId/release", async (c) => {
		const { inventory, eventId, listingId } = await locateHold(c.env, param(c, "holdId"));
		const hold = holdView(await inventory.release(param(c, "holdId")));
		clearSoldOut(eventId, listingId);
		return c.json({ hold });
	});
