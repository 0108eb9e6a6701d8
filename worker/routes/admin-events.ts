// Operator routes for one event: the event itself, its catalogue, its qualified buyers, its status
// and its orders. All behind adminAuth (mounted in worker/index.ts).
import { and, eq, sql } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { dbOf, runBatch, schema } from "../../db/client";
import { type EventRow, findEvent } from "../../db/events";
import { randomAccessCode } from "../../lib/crypto";
import { isLocked } from "../../lib/event-rules";
import { invalidateEvent, publicEvent } from "../hot-reads/catalogue";
import type { AppEnv } from "../http/app-env";
import { ApiError } from "../http/errors";
import { decodeCursor, keyOrder, pageOf, pageQuery, pastCursor } from "../http/pagination";
import { ADMIN_BODY_LIMIT, idSchema, isoTimeSchema, param, readJson, validate } from "../http/validation";
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
		currency: z
			.string()
			.regex(/^[A-Z]{3}$/, "must be an ISO-4217 code such as CNY")
			.default("CNY"),
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
	accessCode: z
		.string()
		.regex(/^[A-Za-z0-9]{4,32}$/, "must be 4–32 letters or digits")
		.optional(),
});

export const buyersBody = z.strictObject({
	buyers: z.array(buyerSchema).min(1).max(MAX_BULK).superRefine(uniqueIds),
});

export const statusBody = z.strictObject({ status: z.enum(["open", "paused", "closed", "auto"]) });

export const ordersQuery = pageQuery(1_000);

/** Fields a buyer plans around: frozen once the event has opened. */
/** Operator routes read D1 itself: an edit must be seen at once, whichever isolate made it. */
const FRESH = { fresh: true };

const FROZEN_FIELDS = ["startsAt", "holdSeconds", "perBuyerLimit", "currency"] as const;

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
		const db = dbOf(c.env);
		const existing = await findEvent(c.env, eventId);
		const now = new Date().toISOString();
		if (existing && isLocked(existing, Date.now())) {
			const changed = FROZEN_FIELDS.filter((f) => existing[f] !== next[f]);
			if (changed.length > 0) {
				throw new ApiError("event_locked", `The event has opened; ${changed.join(", ")} can no longer change.`, {
					details: { fields: changed },
				});
			}
		}
		await db
			.insert(schema.events)
			.values({ id: eventId, ...next, createdAt: now, updatedAt: now })
			.onConflictDoUpdate({ target: schema.events.id, set: { ...next, updatedAt: now } });
		await invalidateEvent(eventId);
		return c.json({ event: adminView(await existingEvent(c.env, eventId, FRESH)) });
	})
	.get("/:eventId", requireEvent(FRESH), async (c) => {
		const event = c.get("event");
		const eventId = event.id;
		const [counts] = await c.env.DB.prepare(
			`SELECT
			   (SELECT count(*) FROM listings WHERE event_id = ?1) AS listings,
			   (SELECT coalesce(sum(stock), 0) FROM listings WHERE event_id = ?1) AS stock,
			   (SELECT count(*) FROM orders WHERE event_id = ?1 AND status = 'held') AS held,
			   (SELECT count(*) FROM orders WHERE event_id = ?1 AND status = 'confirmed') AS confirmed,
			   (SELECT count(*) FROM buyers WHERE event_id = ?1) AS buyers`,
		)
			.bind(eventId)
			.raw<[number, number, number, number, number]>();
		const [listings, stock, held, confirmed, buyers] = counts ?? [0, 0, 0, 0, 0];
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
		const db = dbOf(c.env);
		const t = schema.listings;
		// D1 binds at most 100 parameters per statement: 9 columns → 11 rows per statement.
		const statements = chunk(listings, 11).map((rows) =>
			db
				.insert(t)
				.values(rows.map((l) => ({ ...l, eventId })))
				.onConflictDoUpdate({
					target: [t.eventId, t.id],
					set: excluded(["building", "floor", "unit", "layout", "area_m2", "price_cents", "stock"]),
				}),
		);
		await runBatch(db, statements);
		await invalidateEvent(eventId);
		return c.json({ upserted: listings.length });
	})
	.put("/:eventId/buyers", requireEvent(FRESH), async (c) => {
		const eventId = c.get("event").id;
		const { buyers } = await readJson(c, buyersBody, ADMIN_BODY_LIMIT);
		const now = new Date().toISOString();
		const withCodes = buyers.map((b) => ({ ...b, accessCode: b.accessCode ?? randomAccessCode() }));
		const rows = await Promise.all(
			withCodes.map(async (b) => ({
				eventId,
				id: b.id,
				name: b.name ?? null,
				phone: b.phone ?? null,
				accessCodeHash: await hashAccessCode(c.env, eventId, b.id, b.accessCode),
				createdAt: now,
			})),
		);
		const db = dbOf(c.env);
		const t = schema.buyers;
		const statements = chunk(rows, 16).map((part) =>
			db
				.insert(t)
				.values(part)
				.onConflictDoUpdate({ target: [t.eventId, t.id], set: excluded(["name", "phone", "access_code_hash"]) }),
		);
		await runBatch(db, statements);
		return c.json({ buyers: withCodes.map((b) => ({ id: b.id, accessCode: b.accessCode })) });
	})
	.post("/:eventId/status", requireEvent(FRESH), async (c) => {
		const eventId = c.get("event").id;
		const { status } = await readJson(c, statusBody, ADMIN_BODY_LIMIT);
		const now = new Date().toISOString();
		await dbOf(c.env)
			.update(schema.events)
			.set({
				statusMode: status,
				updatedAt: now,
				...(status === "open" ? { openedAt: sql`coalesce(${schema.events.openedAt}, ${now})` } : {}),
			})
			.where(eq(schema.events.id, eventId));
		await invalidateEvent(eventId);
		return c.json({ event: adminView(await existingEvent(c.env, eventId, FRESH)) });
	})
	.get("/:eventId/orders", requireEvent(FRESH), async (c) => {
		const eventId = c.get("event").id;
		const query = validate(ordersQuery, c.req.query(), "query");
		const after = decodeCursor(query.cursor);
		const o = schema.orders;
		const rows = await dbOf(c.env)
			.select()
			.from(o)
			.where(and(eq(o.eventId, eventId), pastCursor(o.createdAt, o.holdId, after, "asc")))
			.orderBy(...keyOrder(o.createdAt, o.holdId, "asc"))
			.limit(query.limit + 1);
		const { page, nextCursor } = pageOf(rows, query.limit, (r) => [r.createdAt, r.holdId]);
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

function chunk<T>(items: T[], size: number): T[][] {
	const out: T[][] = [];
	for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
	return out;
}

function excluded(columns: string[]) {
	return Object.fromEntries(columns.map((col) => [camel(col), sql.raw(`excluded.${col}`)]));
}

function camel(col: string): string {
	return col.replace(/_([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());
}
