// Operator degradation switches of one event (stored by db/settings.ts, cached by hot-reads/switches.ts);
// mounted under /api/admin/events.
import { Hono } from "hono";
import { readSwitches } from "../../db/settings";
import { dashboardHubOf } from "../../durable-objects/addresses";
import { saveSwitches, switchesSchema } from "../hot-reads/switches";
import type { AppEnv } from "../http/app-env";
import { ADMIN_BODY_LIMIT, readJson } from "../http/validation";
import { recordOperatorAction } from "../ledger/operator-actions";
import { requireEvent } from "../middleware/require-event";

export const adminFlags = new Hono<AppEnv>()
	.get("/:eventId/flags", requireEvent(), async (c) => {
		return c.json({ flags: await readSwitches(c.env, c.get("event").id) });
	})
	.put("/:eventId/flags", requireEvent(), async (c) => {
		const eventId = c.get("event").id;
		const changes = await readJson(c, switchesSchema.partial(), ADMIN_BODY_LIMIT);
		const flags = await saveSwitches(c.env, eventId, changes);
		await recordOperatorAction(c, eventId, "switches_changed", { changed: Object.keys(changes), flags: { ...flags } });
		// New buyer connections are refused by the live route; the open ones are closed here.
		if (changes.buyerLiveOff === true) await dashboardHubOf(c.env, eventId).disconnectBuyers();
		return c.json({ flags });
	});
