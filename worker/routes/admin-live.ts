// Operator routes of the live-operations work: a ticket for the staff WebSocket, and the notification
// outbox (the SMS that were sent, or only recorded with SMS_PROVIDER=local). Behind staffAuth (roles: http/admin-roles.ts).
import { Hono } from "hono";
import { notificationsPage } from "../../db/notifications";
import type { AppEnv } from "../http/app-env";
import { decodeCursor, pageQuery } from "../http/pagination";
import { validate } from "../http/validation";
import { requireEvent } from "../middleware/require-event";
import { issueLiveTicket } from "../tokens/live-ticket";

const notificationsQuery = pageQuery(500);

export const adminLive = new Hono<AppEnv>()
	.post("/:eventId/live-ticket", requireEvent(), async (c) => {
		const { ticket, claims } = await issueLiveTicket(c.env.SESSION_SECRET, c.get("event").id);
		c.header("cache-control", "no-store");
		return c.json({ ticket, expiresAt: new Date(claims.expiresAt).toISOString() });
	})
	.get("/:eventId/notifications", requireEvent(), async (c) => {
		const eventId = c.get("event").id;
		const query = validate(notificationsQuery, c.req.query(), "query");
		const before = decodeCursor(query.cursor);
		const { page, nextCursor } = await notificationsPage(c.env, eventId, before, query.limit);
		return c.json({
			notifications: page.map((r) => ({
				id: r.id,
				kind: r.kind,
				holdId: r.holdId,
				buyerId: r.buyerId,
				phone: r.phone,
				body: r.body,
				provider: r.provider,
				createdAt: r.createdAt,
			})),
			nextCursor,
		});
	});
