// Operator routes for one event: the event itself, its catalogue, its qualified buyers, its status
// and its orders. All behind staffAuth (mounted in worker/app.ts; roles: http/admin-roles.ts).
//
// Two locks, both 409 event_locked: once the event has opened (by the clock or by the operator) its
// catalogue and its frozen fields are closed to edits; and once any claim froze the event's terms in
// D1 (db/terms.ts), every write of listings, buyers or frozen fields is refused by D1 itself, in the
// statement that would have made it — the lock that a claim racing the edit cannot slip past.
//
// Every write is recorded in the event's ledger after its D1 write and before the answer
// (worker/ledger/operator-actions.ts): imports by their counts and a SHA-256 of their content, never
// an access code or its hash (every staff role reads the ledger).
import { Hono } from "hono";
import { z } from "zod";
import { existingBuyerIds, upsertBuyers } from "../../db/buyers";
import { buyerIdsOf, commitDraw, drawStatus, revealDraw } from "../../db/draws";
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
import { checkSeed, drawOrder, isSeedHash, isValidBeacon, isValidSeed } from "../../lib/draw";
import { isLocked } from "../../lib/event-rules";
import { contentSha256 } from "../../lib/ledger-chain";
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
import { recordOperatorAction } from "../ledger/operator-actions";
import { drawView, frozenBuyers } from "../lottery/draw-view";
import { existingEvent, requireEvent } from "../middleware/require-event";
import { hashAccessCode } from "../tokens/access-codes";
import { rearmAutoClaimsLater } from "../wishlist/rearm-auto-claims";

const MAX_BULK = 5_000;

export const eventBody = z
	.strictObject({
		name: z.string().trim().min(1).max(200),
		startsAt: isoTimeSchema,
		endsAt: isoTimeSchema,
		holdSeconds: z.number().int().min(30).max(86_400).default(900),
		perBuyerLimit: z.number().int().min(1).max(100).default(1),
		currency: currencySchema.default("CNY"),
		// API.md v1.1 "Lottery-ordered events": locked once the event opens, a claim froze its terms, or
		// (FAIRNESS.md) its draw is committed.
		mode: z.enum(["race", "lottery"]).default("race"),
		batchSize: z.number().int().min(1).max(1_000).default(10),
		batchSeconds: z.number().int().min(10).max(86_400).default(300),
		// API.md v1.1 "Wish lists and auto-claim". Not frozen: auto-claim reads it when it runs.
		autoClaimDelaySeconds: z.number().int().min(0).max(3_600).default(30),
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

export const commitBody = z.strictObject({
	seedHash: z.string().refine(isSeedHash, "must be 64 lowercase hex characters (SHA-256 of the seed)"),
});

export const revealBody = z.strictObject({
	seed: z.string().refine(isValidSeed, "must be 1–256 characters of well-formed Unicode"),
	beacon: z.string().refine(isValidBeacon, "must be at most 256 characters of well-formed Unicode").optional(),
});

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
			mode: body.mode,
			batchSize: body.batchSize,
			batchSeconds: body.batchSeconds,
			autoClaimDelaySeconds: body.autoClaimDelaySeconds,
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
			const why =
				current?.termsFrozenAt == null && current?.seedHash != null
					? "The lottery draw is committed"
					: "A hold exists in this event";
			throw new ApiError("event_locked", `${why}; ${changed.join(", ")} can no longer change.`, {
				details: { fields: changed },
			});
		}
		await invalidateEvent(eventId);
		// startsAt or the auto-claim delay may have moved: auto-claim buyers' alarms follow.
		if (existing) await rearmAutoClaimsLater(c, eventId);
		if (existing) {
			const changed = (Object.keys(next) as (keyof typeof next)[]).filter((f) => existing[f] !== next[f]);
			await recordOperatorAction(c, eventId, "event_updated", { ...next, changed });
		} else {
			await recordOperatorAction(c, eventId, "event_created", next);
		}
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
		// The content as accepted (defaults applied): what the objects will read from D1.
		await recordOperatorAction(c, eventId, "listings_imported", {
			count: listings.length,
			units: listings.reduce((sum, l) => sum + l.stock, 0),
			contentSha256: contentSha256(listings),
		});
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
				// A rehearsal's codes are its real event's (db/rehearsals.ts): hashed under that event's id.
				accessCodeHash:
					b.accessCode === null ? null : await hashAccessCode(c.env, codeEventOf(c.get("event")), b.id, b.accessCode),
			})),
		);
		if ((await upsertBuyers(c.env, rows)).kind === "event_locked") {
			const current = await findEvent(c.env, eventId);
			if (current?.termsFrozenAt == null && current?.seedHash != null) {
				throw new ApiError("event_locked", "The lottery draw is committed; the buyer list is frozen.");
			}
			throw termsFrozen("buyers");
		}
		// Counts and a hash of who was registered, without any access code: the ledger is readable by
		// every staff role, and even a code's hash would let one of them test guesses offline.
		await recordOperatorAction(c, eventId, "buyers_imported", {
			count: buyers.length,
			codesSupplied: buyers.filter((b) => b.accessCode !== undefined).length,
			codesGenerated: buyers.filter((b) => b.accessCode === undefined && !kept.has(b.id)).length,
			codesKept: buyers.filter((b) => b.accessCode === undefined && kept.has(b.id)).length,
			contentSha256: contentSha256(buyers.map((b) => ({ id: b.id, name: b.name ?? null, phone: b.phone ?? null }))),
		});
		return c.json({ buyers: withCodes.map((b) => ({ id: b.id, accessCode: b.accessCode })) });
	})
	.post("/:eventId/status", requireEvent(FRESH), async (c) => {
		const eventId = c.get("event").id;
		const { status } = await readJson(c, statusBody, ADMIN_BODY_LIMIT);
		const now = new Date().toISOString();
		if ((await setEventStatus(c.env, eventId, status, now)).kind === "draw_pending") {
			throw new ApiError("draw_pending", "A lottery event opens only after its draw is revealed.");
		}
		await invalidateEvent(eventId);
		// An opening earlier or later than startsAt moves every entry time: auto-claim follows.
		await rearmAutoClaimsLater(c, eventId);
		const event = await existingEvent(c.env, eventId, FRESH);
		const view = adminView(event);
		await recordOperatorAction(c, eventId, "event_status", {
			status,
			effectiveStatus: view.status,
			openedAt: event.openedAt,
		});
		return c.json({ event: view });
	})
	.post("/:eventId/draw/commit", requireEvent(FRESH), async (c) => {
		const eventId = c.get("event").id;
		const { seedHash } = await readJson(c, commitBody, ADMIN_BODY_LIMIT);
		const committed = await commitDraw(c.env, eventId, seedHash, new Date().toISOString());
		if (committed.kind === "event_locked") throw new ApiError("event_locked", committed.reason);
		// The list is frozen from the commit's statement on: its fingerprint is stored once, now.
		const event = await existingEvent(c.env, eventId, FRESH);
		await frozenBuyers(c.env, event);
		await invalidateEvent(eventId);
		const draw = await drawView(c.env, await existingEvent(c.env, eventId, FRESH));
		await recordOperatorAction(c, eventId, "draw_committed", {
			seedHash: draw.seedHash,
			buyersHash: draw.buyersHash,
			buyerCount: draw.buyerCount,
			committedAt: draw.committedAt,
		});
		return c.json({ draw });
	})
	.post("/:eventId/draw/reveal", requireEvent(FRESH), async (c) => {
		const event = c.get("event");
		const { seed, beacon } = await readJson(c, revealBody, ADMIN_BODY_LIMIT);
		if (event.seedHash === null) throw new ApiError("event_locked", "The draw is not committed yet.");
		if (event.seed !== null) throw new ApiError("event_locked", "The draw is already revealed; a reveal is made once.");
		if (!(await checkSeed(seed, event.seedHash))) {
			throw new ApiError("invalid_request", "seed: its SHA-256 is not the committed seedHash.", {
				details: { field: "seed" },
			});
		}
		const frozen = await frozenBuyers(c.env, event);
		const order = await drawOrder(seed, beacon ?? null, await buyerIdsOf(c.env, event.id));
		const revealed = await revealDraw(
			c.env,
			event.id,
			{ seed, beacon: beacon ?? null, buyersHash: frozen.buyersHash, order },
			new Date().toISOString(),
		);
		if (revealed.kind === "event_locked") throw new ApiError("event_locked", revealed.reason);
		await invalidateEvent(event.id);
		// Entry times exist from now on: auto-claim buyers are armed for theirs.
		await rearmAutoClaimsLater(c, event.id);
		const draw = await drawView(c.env, await existingEvent(c.env, event.id, FRESH));
		// The order itself is public (GET /api/events/:id/draw) and follows from these: its hash is enough here.
		await recordOperatorAction(c, event.id, "draw_revealed", {
			seed: draw.seed,
			beacon: draw.beacon,
			drawnAt: draw.drawnAt,
			orderSha256: contentSha256(draw.order ?? []),
		});
		return c.json({ draw });
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

/** The event as the admin routes answer it (the rehearsal route too). */
export function adminView(event: EventRow) {
	return {
		...publicEvent(event),
		statusMode: event.statusMode,
		openedAt: event.openedAt,
		termsFrozenAt: event.termsFrozenAt,
		drawStatus: drawStatus(event),
		createdAt: event.createdAt,
		updatedAt: event.updatedAt,
	};
}

/** The event whose id an access code's hash is bound to: a rehearsal shares its real event's codes. */
export function codeEventOf(event: Pick<EventRow, "id" | "rehearsalOf">): string {
	return event.rehearsalOf ?? event.id;
}

function uniqueIds(items: { id: string }[], ctx: z.RefinementCtx): void {
	const seen = new Set<string>();
	items.forEach((item, i) => {
		if (seen.has(item.id)) ctx.addIssue({ code: "custom", path: [i, "id"], message: `duplicate id ${item.id}` });
		seen.add(item.id);
	});
}
