// Operator routes for one event: the event itself, its catalogue, its qualified buyers, its status
// and its orders. All behind staffAuth (mounted in worker/app.ts; roles: http/admin-roles.ts).
//
// Two locks, both 409 event_locked: once the event has opened (by the clock or by the operator) its
// catalogue and its frozen fields are closed to edits; and once any claim froze the event's terms in
// D1 (db/terms.ts), every write of listings, buyers or frozen fields is refused by D1 itself, in the
// statement that would have made it — the lock that a claim racing the edit cannot slip past.
import { Hono } from "hono";
import { z } from "zod";
import { existingBuyerIds, upsertBuyers } from "../../db/buyers";
import {
	type EventRow,
	eventCounts,
	FROZEN_EVENT_FIELDS,
	findEvent,
	setEventStatus,
	upsertEvent,
} from "../../db/events";
import { upsertListings } from "../../db/listings";
import { ordersPage } from "../../db/orders";
import { randomAccessCode } from "../../lib/crypto";
import { isLocked } from "../../lib/event-rules";
import { invalidateEvent, publicEvent } from "../hot-reads/catalogue";
import type { AppEnv } from "../http/app-env";
import { ApiError } from "../http/errors";
import { decodeSeqCursor, pageQuery } from "../http/pagination";
import {
	ADMIN_BODY_LIMIT,
	currencySchema,
	idSchema,
	isoTimeSchema,
	param,
	readJson,
	validate,
} from "../http/validation";
import { existingEvent, requireEvent } from "../middleware/require-event";
import { hashAccessCode } from "../tokens/access-codes";

const MAX_BULK = 5_000;

export const eventBody = z
	.strictObject({
		name: z.string().trim().min(1).max(200),
		startsAt: isoTimeSchema,
		endsAt: isoTimeSchema,
		holdSeconds: z.number().int().min(30).max(86_400).default(900),
		perBuyerLimit: z.number().int().min(1).max(100).default(1),
		currency: currencySchema.default("CNY"),
	})
	.refine((e) => Date.parse(e.endsAt) > Date.parse(e.startsAt), {
		path: ["endsAt"],
		message: "must be later than startsAt",
	});

const listingSchema = z.strictObject({
	id: idSchema,
	building: z.string().trim().min(1).max(32),
	floor: z.number().int().min(-10).max(300),
	unit: z.string().trim().min(1).max(32),
	layout: z.string().trim().min(1).max(64),
	areaM2: z.number().positive().max(100_000),
	priceCents: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
	stock: z.number().int().min(0).max(100_000).default(1),
});

export const listingsBody = z.strictObject({
	listings: z.array(listingSchema).min(1).max(MAX_BULK).superRefine(uniqueIds),
});

const buyerSchema = z.strictObject({
	id: idSchema,
	name: z.string().trim().min(1).max(100).optional(),
	phone: z
		.string()
		.regex(/^\+?[0-9][0-9 -]{4,19}$/, "must be a phone number")
		.optional(),
	// API.md: at least 8 characters (a generated one carries 43 bits: lib/crypto.ts).
	accessCode: z
		.string()
		.regex(/^[A-Za-z0-9]{8,32}$/, "must be 8–32 letters or digits")
		.optional(),
});

export const buyersBody = z.strictObject({
	buyers: z.array(buyerSchema).min(1).max(MAX_BULK).superRefine(uniqueIds),
});

export const statusBody = z.strictObject({ status: z.enum(["open", "paused", "closed", "auto"]) });

export const ordersQuery = pageQuery(1_000);

/** Operator routes read D1 itself: an edit must be seen at once, whichever isolate made it. */
const FRESH = { fresh: true };

/** Why an admin write of listings or buyers was refused: a claim froze the terms first. */
function termsFrozen(what: string): ApiError {
	return new ApiError("event_locked", `A hold exists in this event; its ${what} can no longer change.`);
}

export const adminEvents = new Hono<AppEnv>()
	.put("/:eventId", async (c) => {
		const eventId = param(c, "eventId");
		const body = await readJson(c, eventBody, ADMIN_BODY_LIMIT);
		const next = {
			name: body.name,
			startsAt: new Date(body.startsAt).toISOString(),
			endsAt: new Date(body.endsAt).toISOString(),
			holdSeconds: body.holdSeconds,
			perBuyerLimit: body.perBuyerLimit,
			currency: body.currency,
		};
		const existing = await findEvent(c.env, eventId);
		const now = new Date().toISOString();
		const changedFrom = (event: EventRow) => FROZEN_EVENT_FIELDS.filter((f) => event[f] !== next[f]);
		if (existing && isLocked(existing, Date.now())) {
			const changed = changedFrom(existing);
			if (changed.length > 0) {
				throw new ApiError("event_locked", `The event has opened; ${changed.join(", ")} can no longer change.`, {
					details: { fields: changed },
				});
			}
		}
		const written = await upsertEvent(c.env, eventId, next, now);
		if (written.kind === "event_locked") {
			const current = await findEvent(c.env, eventId);
			const changed = current ? changedFrom(current) : [];
			throw new ApiError("event_locked", `A hold exists in this event; ${changed.join(", ")} can no longer change.`, {
				details: { fields: changed },
			});
		}
		await invalidateEvent(eventId);
		return c.json({ event: adminView(await existingEvent(c.env, eventId, FRESH)) });
	})
	.get("/:eventId", requireEvent(FRESH), async (c) => {
		const event = c.get("event");
		const { listings, stock, held, confirmed, buyers } = await eventCounts(c.env, event.id);
		return c.json({
			event: adminView(event),
			counts: { listings, available: Math.max(0, stock - held - confirmed), held, confirmed, buyers },
		});
	})
	.put("/:eventId/listings", requireEvent(FRESH), async (c) => {
		const eventId = c.get("event").id;
		const { listings } = await readJson(c, listingsBody, ADMIN_BODY_LIMIT);
		if (isLocked(c.get("event"), Date.now())) {
			throw new ApiError("event_locked", "The event has opened; its listings can no longer change.");
		}
		if ((await upsertListings(c.env, eventId, listings)).kind === "event_locked") throw termsFrozen("listings");
		await invalidateEvent(eventId);
		return c.json({ upserted: listings.length });
	})
	.put("/:eventId/buyers", requireEvent(FRESH), async (c) => {
		const eventId = c.get("event").id;
		const { buyers } = await readJson(c, buyersBody, ADMIN_BODY_LIMIT);
		const now = new Date().toISOString();
		// A buyer already registered and sent without a code keeps the one it was handed (answer: null);
		// a new buyer without one gets a generated code, shown here once.
		const kept = await existingBuyerIds(
			c.env,
			eventId,
			buyers.filter((b) => b.accessCode === undefined).map((b) => b.id),
		);
		const withCodes = buyers.map((b) => ({
			...b,
			accessCode: b.accessCode ?? (kept.has(b.id) ? null : randomAccessCode()),
		}));
		const contact = (b: (typeof withCodes)[number]) => ({
			eventId,
			id: b.id,
			name: b.name ?? null,
			phone: b.phone ?? null,
			createdAt: now,
		});
		const rows = await Promise.all(
			withCodes.map(async (b) => ({
				...contact(b),
				accessCodeHash: b.accessCode === null ? null : await hashAccessCode(c.env, eventId, b.id, b.accessCode),
			})),
		);
		if ((await upsertBuyers(c.env, rows)).kind === "event_locked") throw termsFrozen("buyers");
		return c.json({ buyers: withCodes.map((b) => ({ id: b.id, accessCode: b.accessCode })) });
	})
	.post("/:eventId/status", requireEvent(FRESH), async (c) => {
		const eventId = c.get("event").id;
		const { status } = await readJson(c, statusBody, ADMIN_BODY_LIMIT);
		const now = new Date().toISOString();
		await setEventStatus(c.env, eventId, status, now);
		await invalidateEvent(eventId);
		return c.json({ event: adminView(await existingEvent(c.env, eventId, FRESH)) });
	})
	.get("/:eventId/orders", requireEvent(FRESH), async (c) => {
		const eventId = c.get("event").id;
		const query = validate(ordersQuery, c.req.query(), "query");
		// Paged by D1's arrival order: an order that arrives late still comes after the pages served.
		const after = decodeSeqCursor(query.cursor);
		const { page, nextCursor } = await ordersPage(c.env, eventId, after, query.limit);
		return c.json({
			orders: page.map((r) => ({
				holdId: r.holdId,
				listingId: r.listingId,
				buyerId: r.buyerId,
				status: r.status,
				priceCents: r.priceCents,
				createdAt: r.createdAt,
				updatedAt: r.updatedAt,
			})),
			nextCursor,
		});
	});

function adminView(event: EventRow) {
	return {
		...publicEvent(event),
		statusMode: event.statusMode,
		openedAt: event.openedAt,
		termsFrozenAt: event.termsFrozenAt,
		createdAt: event.createdAt,
		updatedAt: event.updatedAt,
	};
}

function uniqueIds(items: { id: string }[], ctx: z.RefinementCtx): void {
	const seen = new Set<string>();
	items.forEach((item, i) => {
		if (seen.has(item.id)) ctx.addIssue({ code: "custom", path: [i, "id"], message: `duplicate id ${item.id}` });
		seen.add(item.id);
	});
}
