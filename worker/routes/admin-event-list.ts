// The staff pages' lists beyond orders (issue 13): every event with its counts, for the operator's
// console, and an event's buyers with name and phone, for the dashboard's hold details and the sales
// control sheet (销控表), where sales staff call a buyer about a hold. Paged like orders
// (?cursor=&limit=, nextCursor null on the last page).
//
// Who sees a phone number (docs/API.md "Buyers for staff"): API.md lets a viewer call every GET under
// /api/admin/, so the list is a viewer's route; but a viewer is the read-only big screen, and a phone
// number on it is a phone number on the wall. So sales and operators get the number, a viewer gets it
// masked to its last four digits (enough to tell two buyers apart, not to call them). The role is the
// staff middleware's own identity for this request (lib/staff-roles.ts).
import { Hono } from "hono";
import { buyersPage, eventsPage } from "../../db/staff-views";
import { roleAllows } from "../../lib/staff-roles";
import type { AppEnv } from "../http/app-env";
import { decodeCursor, pageQuery } from "../http/pagination";
import { validate } from "../http/validation";
import { requireEvent } from "../middleware/require-event";
import { adminView } from "./admin-events";

export const eventsQuery = pageQuery(100);
export const buyersQuery = pageQuery(1_000);

/** "+86*********0001": every digit but the last four hidden, the shape kept. */
export function maskPhone(phone: string): string {
	const keep = 4;
	return phone.slice(0, -keep).replace(/[0-9]/g, "*") + phone.slice(-keep);
}

export const adminEventList = new Hono<AppEnv>()
	.get("/", async (c) => {
		const query = validate(eventsQuery, c.req.query(), "query");
		const { page, nextCursor } = await eventsPage(c.env, decodeCursor(query.cursor), query.limit);
		return c.json({
			events: page.map(({ event, counts }) => ({
				event: adminView(event),
				counts: {
					listings: counts.listings,
					available: Math.max(0, counts.stock - counts.held - counts.confirmed),
					held: counts.held,
					confirmed: counts.confirmed,
					buyers: counts.buyers,
				},
			})),
			nextCursor,
		});
	})
	.get("/:eventId/buyers", requireEvent({ fresh: true }), async (c) => {
		const query = validate(buyersQuery, c.req.query(), "query");
		const { page, nextCursor } = await buyersPage(c.env, c.get("event").id, decodeCursor(query.cursor), query.limit);
		const fullPhone = roleAllows(c.get("staff").role, "sales");
		return c.json({
			buyers: page.map((b) => ({
				id: b.id,
				name: b.name,
				phone: b.phone === null || fullPhone ? b.phone : maskPhone(b.phone),
			})),
			nextCursor,
			phonesMasked: !fullPhone,
		});
	});
