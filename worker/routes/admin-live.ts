// Operator routes of the live-operations work: a ticket for the staff WebSocket, and the notification
// outbox (the SMS that were sent, or only recorded with SMS_PROVIDER=local). Behind adminAuth.
import { and, desc, eq, lt, or } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { dbOf, schema } from "../../db/client";
import { loadEvent } from "../catalogue";
import { ApiError } from "../errors";
import type { AppEnv } from "../hono-env";
import { issueLiveTicket } from "../live-ticket";
import { param, validate } from "../validation";

const notificationsQuery = z.strictObject({
	limit: z.coerce.number().int().min(1).max(500).default(100),
	/** The `id` of the last row of the previous page. */
	before: z.string().min(1).max(200).optional(),
});

export const adminLive = new Hono<AppEnv>()
	.post("/:eventId/live-ticket", async (c) => {
		const eventId = param(c, "eventId");
		if (!(await loadEvent(c.env, eventId))) throw new ApiError("not_found", `No event ${eventId}.`);
		const { ticket, claims } = await issueLiveTicket(c.env.SESSION_SECRET, eventId);
		c.header("cache-control", "no-store");
		return c.json({ ticket, expiresAt: new Date(claims.expiresAt).toISOString() });
	})
	.get("/:eventId/notifications", async (c) => {
		const eventId = param(c, "eventId");
		const query = validate(notificationsQuery, c.req.query(), "query");
		if (!(await loadEvent(c.env, eventId))) throw new ApiError("not_found", `No event ${eventId}.`);
		const n = schema.notifications;
		const db = dbOf(c.env);
		const cursor = query.before
			? (await db.select({ createdAt: n.createdAt, id: n.id }).from(n).where(eq(n.id, query.before)).limit(1))[0]
			: undefined;
		if (query.before && !cursor) {
			throw new ApiError("invalid_request", "before: not a notification id", { details: { field: "before" } });
		}
		const rows = await db
			.select()
			.from(n)
			.where(
				and(
					eq(n.eventId, eventId),
					cursor
						? or(lt(n.createdAt, cursor.createdAt), and(eq(n.createdAt, cursor.createdAt), lt(n.id, cursor.id)))
						: undefined,
				),
			)
			.orderBy(desc(n.createdAt), desc(n.id))
			.limit(query.limit + 1);
		const page = rows.slice(0, query.limit);
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
			nextBefore: rows.length > query.limit ? (page.at(-1)?.id ?? null) : null,
		});
	});
