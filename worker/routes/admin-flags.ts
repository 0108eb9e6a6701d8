// Operator degradation switches of one event (worker/flags.ts); mounted under /api/admin/events.
import { Hono } from "hono";
import { dashboardHubOf } from "../../durable-objects/dashboard-hub";
import { loadEvent } from "../catalogue";
import { ApiError } from "../errors";
import { flagsSchema, readFlags, saveFlags } from "../flags";
import type { AppEnv } from "../hono-env";
import { ADMIN_BODY_LIMIT, param, readJson } from "../validation";

async function existingEvent(env: Env, eventId: string): Promise<string> {
	if (!(await loadEvent(env, eventId))) throw new ApiError("not_found", `No event ${eventId}.`);
	return eventId;
}

export const adminFlags = new Hono<AppEnv>()
	.get("/:eventId/flags", async (c) => {
		const eventId = await existingEvent(c.env, param(c, "eventId"));
		return c.json({ flags: await readFlags(c.env, eventId) });
	})
	.put("/:eventId/flags", async (c) => {
		const eventId = param(c, "eventId");
		const changes = await readJson(c, flagsSchema.partial(), ADMIN_BODY_LIMIT);
		await existingEvent(c.env, eventId);
		const flags = await saveFlags(c.env, eventId, changes);
		// New buyer connections are refused by the live route; the open ones are closed here.
		if (changes.buyerLiveOff === true) await dashboardHubOf(c.env, eventId).disconnectBuyers();
		return c.json({ flags });
	});
