// Rehearsals (模拟开盘, issue 12): POST /api/admin/events/:eventId/rehearsal copies an event — same
// listings, same buyers with the same access codes, same mode, batches and terms, its own id and times
// — marked rehearsalOf in both event reads. The practice run goes through the production path (logins,
// claims, the queue, D1, the ledger), sends no SMS, and leaves the real event's orders, exports,
// notifications and ledger exactly as they were.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it, vi } from "vitest";
import { seedHashOf } from "../lib/draw";
import type { NotificationMessage } from "../lib/hold-record";
import { consumeNotifications } from "../queue-consumers/notifications";
import {
	admin,
	call,
	cancel,
	claim,
	errorCode,
	eventuallyOrders,
	type Login,
	login,
	seedEvent,
	uniqueId,
} from "./helpers";

const rehearse = (eventId: string, body: Record<string, unknown>) =>
	admin("POST", `/api/admin/events/${eventId}/rehearsal`, body);

function practiceTimes(startsInMs = -60_000) {
	const now = Date.now();
	return {
		startsAt: new Date(now + startsInMs).toISOString(),
		endsAt: new Date(now + Math.max(startsInMs, 0) + 3_600_000).toISOString(),
	};
}

/** Everything of an event a person or a system outside reads: each export, in full. */
async function snapshot(eventId: string) {
	const text = async (path: string) => {
		const res = await admin("GET", path);
		expect(res.status).toBe(200);
		return res.text();
	};
	return {
		event: JSON.parse(await text(`/api/admin/events/${eventId}`)),
		orders: await text(`/api/admin/events/${eventId}/orders?limit=1000`),
		ledger: await text(`/api/admin/events/${eventId}/ledger?limit=1000`),
		ledgerExport: await text(`/api/admin/events/${eventId}/ledger/export`),
		ledgerHead: await (await call(`/api/events/${eventId}/ledger/head`)).text(),
		notifications: await text(`/api/admin/events/${eventId}/notifications?limit=500`),
		listings: JSON.parse(await (await call(`/api/events/${eventId}/listings`)).text()).listings,
		wishes: await text(`/api/admin/events/${eventId}/wishes`),
	};
}

describe("POST /api/admin/events/:eventId/rehearsal", () => {
	it("copies listings, buyers (same codes) and settings to a new id with its own times, marked rehearsalOf", async () => {
		const real = await seedEvent({ listings: 5, buyers: 4, perBuyerLimit: 2, holdSeconds: 600, open: false });
		const rehearsalId = uniqueId("reh");
		const times = practiceTimes(3_600_000);
		const res = await rehearse(real.eventId, { rehearsalId, ...times });
		expect(res.status).toBe(200);
		const { event } = await res.json<{ event: Record<string, unknown> }>();
		const source = (
			await (await admin("GET", `/api/admin/events/${real.eventId}`)).json<{ event: Record<string, unknown> }>()
		).event;
		expect(event).toMatchObject({
			id: rehearsalId,
			rehearsalOf: real.eventId,
			startsAt: times.startsAt,
			endsAt: times.endsAt,
			status: "scheduled",
			statusMode: "auto",
			openedAt: null,
			termsFrozenAt: null,
			drawStatus: "none",
			name: `[模拟开盘 rehearsal] ${source.name}`,
		});
		for (const f of [
			"holdSeconds",
			"perBuyerLimit",
			"currency",
			"mode",
			"batchSize",
			"batchSeconds",
			"autoClaimDelaySeconds",
		]) {
			expect(event[f], f).toEqual(source[f]);
		}
		expect(source.rehearsalOf).toBeNull();
		const publicRead = await (await call(`/api/events/${rehearsalId}`)).json<{ event: { rehearsalOf: string } }>();
		expect(publicRead.event.rehearsalOf).toBe(real.eventId);
		const counts = await (await admin("GET", `/api/admin/events/${rehearsalId}`)).json<{ counts: object }>();
		expect(counts.counts).toEqual({ listings: 5, available: 5, held: 0, confirmed: 0, buyers: 4 });
		const [a, b] = await Promise.all(
			[real.eventId, rehearsalId].map(
				async (id) => (await (await call(`/api/events/${id}/listings`)).json<{ listings: unknown[] }>()).listings,
			),
		);
		expect(b).toEqual(a);
		// The same buyers log in with the same access codes; a wrong code is still refused.
		const session = await login(rehearsalId, "B2", "accessB2");
		expect(session.eventId).toBe(rehearsalId);
		const wrong = await admin("POST", "/api/auth/login", {
			eventId: rehearsalId,
			buyerId: "B2",
			accessCode: "accessB3",
		});
		expect(wrong.status).toBe(401);
		// The creation is in the rehearsal's ledger, not in the real event's.
		const ledger = await (await admin("GET", `/api/admin/events/${rehearsalId}/ledger`)).json<{
			entries: { kind: string; data: Record<string, unknown> }[];
		}>();
		expect(ledger.entries.map((e) => e.kind)).toEqual(["rehearsal_created"]);
		expect(ledger.entries[0]?.data).toMatchObject({ rehearsalOf: real.eventId, listings: 5, buyers: 4 });
	});

	it("a buyer registered on the rehearsal later logs in with its code too (hashed under the real event)", async () => {
		const real = await seedEvent({ open: false });
		const rehearsalId = uniqueId("reh");
		expect((await rehearse(real.eventId, { rehearsalId, ...practiceTimes(3_600_000) })).status).toBe(200);
		const put = await admin("PUT", `/api/admin/events/${rehearsalId}/buyers`, {
			buyers: [{ id: "B9", accessCode: "accessB9" }],
		});
		expect(put.status).toBe(200);
		expect((await login(rehearsalId, "B9", "accessB9")).eventId).toBe(rehearsalId);
		// Not registered on the real event: the rehearsal's buyers stay the rehearsal's.
		const res = await admin("POST", "/api/auth/login", {
			eventId: real.eventId,
			buyerId: "B9",
			accessCode: "accessB9",
		});
		expect(res.status).toBe(401);
	});

	it("copies a lottery event's mode and batches but not its draw (the real seed stays secret)", async () => {
		const real = await seedEvent({ open: false });
		const body = await (await admin("GET", `/api/admin/events/${real.eventId}`)).json<{
			event: Record<string, unknown>;
		}>();
		const lottery = {
			name: body.event.name,
			startsAt: body.event.startsAt,
			endsAt: body.event.endsAt,
			mode: "lottery",
			batchSize: 2,
			batchSeconds: 120,
			autoClaimDelaySeconds: 5,
		};
		expect((await admin("PUT", `/api/admin/events/${real.eventId}`, lottery)).status).toBe(200);
		expect(
			(await admin("POST", `/api/admin/events/${real.eventId}/draw/commit`, { seedHash: await seedHashOf("real") }))
				.status,
		).toBe(200);
		const rehearsalId = uniqueId("reh");
		const res = await rehearse(real.eventId, { rehearsalId, ...practiceTimes(1_800_000) });
		expect(res.status).toBe(200);
		const { event } = await res.json<{ event: Record<string, unknown> }>();
		expect(event).toMatchObject({
			mode: "lottery",
			batchSize: 2,
			batchSeconds: 120,
			autoClaimDelaySeconds: 5,
			drawStatus: "none",
		});
		// The rehearsal draws with a practice seed of its own.
		const practice = await admin("POST", `/api/admin/events/${rehearsalId}/draw/commit`, {
			seedHash: await seedHashOf("practice"),
		});
		expect(practice.status).toBe(200);
		const realDraw = await (await call(`/api/events/${real.eventId}/draw`)).json<{ draw: { seedHash: string } }>();
		expect(realDraw.draw.seedHash).toBe(await seedHashOf("real"));
	});

	it("refuses a taken id, a rehearsal of a rehearsal, bad bodies and non-operators, writing nothing", async () => {
		const real = await seedEvent({ open: false });
		const other = await seedEvent({ open: false });
		const rehearsalId = uniqueId("reh");
		expect((await rehearse(real.eventId, { rehearsalId, ...practiceTimes() })).status).toBe(200);
		const cases: [string, () => Promise<Response>, number, string, string | null][] = [
			[
				"an existing event's id",
				() => rehearse(real.eventId, { rehearsalId: other.eventId, ...practiceTimes() }),
				409,
				"event_locked",
				"rehearsalId",
			],
			[
				"its own id",
				() => rehearse(real.eventId, { rehearsalId: real.eventId, ...practiceTimes() }),
				409,
				"event_locked",
				"rehearsalId",
			],
			[
				"a rehearsal of a rehearsal",
				() => rehearse(rehearsalId, { rehearsalId: uniqueId("reh"), ...practiceTimes() }),
				409,
				"event_locked",
				null,
			],
			[
				"endsAt before startsAt",
				() =>
					rehearse(real.eventId, {
						rehearsalId: uniqueId("reh"),
						startsAt: practiceTimes().endsAt,
						endsAt: practiceTimes().startsAt,
					}),
				400,
				"invalid_request",
				"endsAt",
			],
			[
				"a malformed id",
				() => rehearse(real.eventId, { rehearsalId: "a b", ...practiceTimes() }),
				400,
				"invalid_request",
				"rehearsalId",
			],
			["no times", () => rehearse(real.eventId, { rehearsalId: uniqueId("reh") }), 400, "invalid_request", "startsAt"],
			[
				"an unknown field",
				() => rehearse(real.eventId, { rehearsalId: uniqueId("reh"), ...practiceTimes(), copyOrders: true }),
				400,
				"invalid_request",
				null,
			],
			[
				"an unknown event",
				() => rehearse(uniqueId("none"), { rehearsalId: uniqueId("reh"), ...practiceTimes() }),
				404,
				"not_found",
				null,
			],
		];
		for (const [name, send, status, code, field] of cases) {
			const res = await send();
			expect(res.status, name).toBe(status);
			const body = await res.json<{ error: { code: string; field?: string } }>();
			expect(body.error.code, name).toBe(code);
			if (field) expect(body.error.field, name).toBe(field);
		}
		// The existing event was not touched by the refused copy onto it.
		const untouched = await (await admin("GET", `/api/admin/events/${other.eventId}`)).json<{
			event: { rehearsalOf: null; name: string };
		}>();
		expect(untouched.event.rehearsalOf).toBeNull();
		expect(untouched.event.name).not.toContain("rehearsal");
		const staff = await admin("POST", "/api/admin/staff", { name: "Sales", role: "sales" });
		const { token } = await staff.json<{ token: string }>();
		const bySales = await call(`/api/admin/events/${real.eventId}/rehearsal`, {
			method: "POST",
			headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
			body: JSON.stringify({ rehearsalId: uniqueId("reh"), ...practiceTimes() }),
		});
		expect(bySales.status).toBe(403);
		expect(await errorCode(bySales)).toBe("forbidden");
	});
});

describe("a rehearsal leaves the real event untouched", () => {
	it("claims and a cancel in the rehearsal reach none of the real event's orders, exports or ledger", async () => {
		const real = await seedEvent({ listings: 3, buyers: 3 });
		// The real event has a life of its own first: a hold, in its orders and its ledger.
		const realBuyer = await login(real.eventId, "B1");
		const realHold = await claim(realBuyer, "L1");
		expect(realHold.status).toBe(201);
		await eventuallyOrders(real.eventId, (rows) => expect(rows).toHaveLength(1));
		await vi.waitFor(
			async () => {
				const ledger = await (await admin("GET", `/api/admin/events/${real.eventId}/ledger`)).json<{
					entries: { kind: string }[];
				}>();
				expect(ledger.entries.map((e) => e.kind)).toContain("hold_granted");
			},
			{ timeout: 10_000, interval: 100 },
		);
		const notices = async (eventId: string) =>
			(
				await (
					await admin("GET", `/api/admin/events/${eventId}/notifications?limit=500`)
				).json<{
					notifications: { provider: string }[];
				}>()
			).notifications;
		await vi.waitFor(async () => expect(await notices(real.eventId)).toHaveLength(1), {
			timeout: 10_000,
			interval: 100,
		});
		const before = await snapshot(real.eventId);

		const rehearsalId = uniqueId("reh");
		expect((await rehearse(real.eventId, { rehearsalId, ...practiceTimes() })).status).toBe(200);
		expect((await admin("POST", `/api/admin/events/${rehearsalId}/status`, { status: "open" })).status).toBe(200);
		// The same buyers practise: the unit B1 holds for real is free in the rehearsal.
		const sessions = await Promise.all(["B1", "B2", "B3"].map((id) => login(rehearsalId, id)));
		const answers = await Promise.all(sessions.map((s, i) => claim(s, `L${i + 1}`)));
		expect(answers.map((r) => r.status)).toEqual([201, 201, 201]);
		const wishes = await call("/api/me/wishlist", {
			method: "PUT",
			headers: { authorization: `Bearer ${sessions[0]?.sessionToken}`, "content-type": "application/json" },
			body: JSON.stringify({ listingIds: ["L2"] }),
		});
		expect(wishes.status).toBe(409); // the rehearsal has opened: its entry time passed
		const given = await answers[2]?.json<{ holdId: string }>();
		expect((await cancel(sessions[2] as Login, given?.holdId as string)).status).toBe(200);
		await eventuallyOrders(rehearsalId, (rows) =>
			expect(rows.map((r) => r.status).sort()).toEqual(["cancelled", "held", "held"]),
		);
		await vi.waitFor(
			async () => {
				const ledger = await (await admin("GET", `/api/admin/events/${rehearsalId}/ledger`)).json<{
					entries: { kind: string }[];
				}>();
				expect(ledger.entries.filter((e) => e.kind === "hold_granted")).toHaveLength(3);
			},
			{ timeout: 10_000, interval: 100 },
		);
		// The rehearsal's own notices went through the real queue and consumer: recorded, sent nowhere.
		await vi.waitFor(
			async () => expect(new Set((await notices(rehearsalId)).map((n) => n.provider))).toEqual(new Set(["rehearsal"])),
			{ timeout: 10_000, interval: 100 },
		);
		// Whatever the queue has delivered meanwhile: the real event reads exactly as before.
		const after = await snapshot(real.eventId);
		expect(after.orders).toBe(before.orders);
		expect(after.ledger).toBe(before.ledger);
		expect(after.ledgerExport).toBe(before.ledgerExport);
		expect(after.ledgerHead).toBe(before.ledgerHead);
		expect(after.notifications).toBe(before.notifications);
		expect(after.listings).toEqual(before.listings);
		expect(after.wishes).toBe(before.wishes);
		expect(after.event.counts).toEqual(before.event.counts);
	});

	it("sends no SMS for a rehearsal: recorded as provider rehearsal, the gateway never called", async () => {
		const real = await seedEvent({ buyers: 1, open: false });
		const rehearsalId = uniqueId("reh");
		expect((await rehearse(real.eventId, { rehearsalId, ...practiceTimes() })).status).toBe(200);
		const calls: string[] = [];
		const gateway = new Hono().post("/send", async (c) => {
			calls.push(await c.req.text());
			return c.json({ accepted: true });
		});
		const fetcher: typeof fetch = (input, init) => Promise.resolve(gateway.fetch(new Request(input, init)));
		const httpEnv: Env = {
			...env,
			SMS_PROVIDER: "http",
			SMS_API_URL: "https://sms-gateway.test/send",
			SMS_API_KEY: "k",
		};
		const notice = (eventId: string): NotificationMessage => ({
			kind: "granted",
			holdId: uniqueId("h"),
			eventId,
			listingId: "L1",
			buyerId: "B1",
			expiresAt: Date.now() + 900_000,
			version: 1,
		});
		const messages = [notice(rehearsalId), notice(real.eventId)];
		const batch = createMessageBatch(
			"kaipan-notifications",
			messages.map((body, i) => ({ id: uniqueId(`n${i}`), timestamp: new Date(), attempts: 1, body })),
		);
		await consumeNotifications(batch, httpEnv, fetcher);
		const result = await getQueueResult(batch, createExecutionContext());
		expect(result.explicitAcks).toHaveLength(2);
		const provider = async (holdId: string) =>
			(
				await env.DB.prepare("SELECT provider FROM notifications WHERE hold_id = ?")
					.bind(holdId)
					.first<{ provider: string }>()
			)?.provider;
		expect(await provider(messages[0]?.holdId as string)).toBe("rehearsal");
		// The real event's notice, in the same batch, goes to the gateway as before.
		expect(await provider(messages[1]?.holdId as string)).toBe("http");
		expect(calls).toHaveLength(1);
		expect(calls[0]).toContain(messages[1]?.holdId);
	});
});
