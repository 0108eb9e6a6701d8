// The operator's message to every buyer of an event (issue 13): why the sale is paused, when it
// resumes. Stored on the event in D1 (the public event read carries it, so a page that loads later
// sees it too), recorded in the ledger (who said what to the buyers, and when), then pushed to the
// pages connected to the event's live feed. The push is best-effort: a page that misses it reads the
// event again within seconds (web/buyer/announcement.ts), and a failed push never fails the post.
import { Hono } from "hono";
import { z } from "zod";
import type { Announcement } from "../../client/live-frames";
import { setAnnouncement } from "../../db/staff-views";
import { dashboardHubOf } from "../../durable-objects/addresses";
import { invalidateEvent } from "../hot-reads/catalogue";
import type { AppEnv } from "../http/app-env";
import { eventNotFound } from "../http/errors";
import { ADMIN_BODY_LIMIT, param, readJson } from "../http/validation";
import { recordOperatorAction } from "../ledger/operator-actions";

export const ANNOUNCEMENT_MAX_CHARS = 500;

export const announcementBody = z.strictObject({
	// Characters as a person counts them (code points), trimmed; line breaks are kept (the page shows
	// them), other control characters are refused.
	text: z
		.string()
		.trim()
		.min(1)
		.refine((s) => [...s].length <= ANNOUNCEMENT_MAX_CHARS, `must be at most ${ANNOUNCEMENT_MAX_CHARS} characters`)
		// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
		.refine((s) => !/[\u0000-\u0009\u000b-\u001f\u007f]/.test(s), "must not contain control characters"),
});

async function push(env: Env, eventId: string, announcement: Announcement | null): Promise<void> {
	try {
		await dashboardHubOf(env, eventId).announce(announcement);
	} catch (err) {
		console.error("announcement not pushed", { eventId, error: String(err) });
	}
}

export const adminAnnouncement = new Hono<AppEnv>()
	.put("/:eventId/announcement", async (c) => {
		const eventId = param(c, "eventId");
		const { text } = await readJson(c, announcementBody, ADMIN_BODY_LIMIT);
		const postedAt = new Date().toISOString();
		if (!(await setAnnouncement(c.env, eventId, text, postedAt))) throw eventNotFound(eventId);
		await invalidateEvent(eventId);
		await recordOperatorAction(c, eventId, "announcement_posted", { text, postedAt });
		const announcement = { text, postedAt };
		await push(c.env, eventId, announcement);
		return c.json({ announcement });
	})
	.delete("/:eventId/announcement", async (c) => {
		const eventId = param(c, "eventId");
		if (!(await setAnnouncement(c.env, eventId, null, new Date().toISOString()))) throw eventNotFound(eventId);
		await invalidateEvent(eventId);
		await recordOperatorAction(c, eventId, "announcement_cleared", {});
		await push(c.env, eventId, null);
		return c.json({ announcement: null });
	});
