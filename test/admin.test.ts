// Operator endpoints: events, catalogue, buyers, status, counts, orders.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { upsertOrders } from "../db/orders";
import {
	admin,
	call,
	claim,
	errorCode,
	eventuallyOrders,
	holdRecord,
	json,
	login,
	seedEvent,
	uniqueId,
} from "./helpers";

const future = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

describe("events", () => {
	it("creates with defaults, reads back with counts, updates", async () => {
		const id = uniqueId("ev");
		const res = await admin("PUT", `/api/admin/events/${id}`, {
			name: "开盘",
			startsAt: future(10),
			endsAt: future(70),
		});
		expect(res.status).toBe(200);
		expect((await res.json<{ event: unknown }>()).event).toMatchObject({
			id,
			name: "开盘",
			status: "scheduled",
			holdSeconds: 900,
			perBuyerLimit: 1,
			currency: "CNY",
		});
		const upd = await admin("PUT", `/api/admin/events/${id}`, {
			name: "开盘 2",
			startsAt: future(10),
			endsAt: future(70),
			perBuyerLimit: 2,
		});
		expect((await upd.json<{ event: { perBuyerLimit: number } }>()).event.perBuyerLimit).toBe(2);
		const get = await admin("GET", `/api/admin/events/${id}`);
		expect(await get.json()).toMatchObject({
			event: { name: "开盘 2" },
			counts: { listings: 0, available: 0, held: 0, confirmed: 0, buyers: 0 },
		});
		const pub = await call(`/api/events/${id}`);
		const body = await pub.json<{ event: Record<string, unknown>; serverTime: string }>();
		expect(Object.keys(body.event).sort()).toEqual(
			[
				"id",
				"name",
				"startsAt",
				"endsAt",
				"status",
				"currency",
				"holdSeconds",
				"perBuyerLimit",
				// API.md v1.1 "Lottery-ordered events": in both event reads.
				"mode",
				"batchSize",
				"batchSeconds",
				// API.md v1.1 "Wish lists and auto-claim"; rehearsalOf: the rehearsal extension (null here).
				"autoClaimDelaySeconds",
				"rehearsalOf",
				// issue 13: the operator's message to every buyer (null here).
				"announcement",
			].sort(),
		);
		expect(Date.parse(body.serverTime)).toBeGreaterThan(0);
	});

	it("refuses endsAt before startsAt, naming the field", async () => {
		const res = await admin("PUT", `/api/admin/events/${uniqueId("ev")}`, {
			name: "x",
			startsAt: future(10),
			endsAt: future(5),
		});
		expect(res.status).toBe(400);
		expect(await res.json()).toMatchObject({ error: { code: "invalid_request", field: "endsAt" } });
	});

	it("locks the catalogue and the claim rules once open", async () => {
		const ev = await seedEvent({ listings: 2 });
		const listings = await admin("PUT", `/api/admin/events/${ev.eventId}/listings`, {
			listings: [{ id: "L9", building: "1", floor: 1, unit: "1", layout: "x", areaM2: 1, priceCents: 1 }],
		});
		expect(listings.status).toBe(409);
		expect(await errorCode(listings)).toBe("event_locked");
		const rules = await admin("PUT", `/api/admin/events/${ev.eventId}`, {
			name: "renamed",
			startsAt: future(60),
			endsAt: future(120),
			perBuyerLimit: 5,
		});
		expect(await errorCode(rules)).toBe("event_locked");
		const counts = await (await admin("GET", `/api/admin/events/${ev.eventId}`)).json<{
			counts: { listings: number };
		}>();
		expect(counts.counts.listings).toBe(2);
	});
});

describe("status", () => {
	it("scheduled → 423 with opensAt; paused and closed → 423; open → claims work", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 1, open: false });
		const s = await login(ev.eventId, "B1");
		const scheduled = await claim(s, "L1");
		expect(scheduled.status).toBe(423);
		const body = await scheduled.json<{ status: string; opensAt: string; error: { code: string } }>();
		expect(body).toMatchObject({ status: "scheduled", error: { code: "event_not_open" } });
		expect(Date.parse(body.opensAt)).toBeGreaterThan(Date.now());

		for (const status of ["paused", "closed"] as const) {
			await admin("POST", `/api/admin/events/${ev.eventId}/status`, { status });
			const res = await claim(s, "L1");
			expect(res.status).toBe(423);
			expect(await res.json()).toMatchObject({ status, error: { code: "event_not_open" } });
		}
		await admin("POST", `/api/admin/events/${ev.eventId}/status`, { status: "auto" });
		expect((await claim(s, "L1")).status).toBe(423);
		await admin("POST", `/api/admin/events/${ev.eventId}/status`, { status: "open" });
		expect((await claim(s, "L1")).status).toBe(201);
	});
});

describe("buyers", () => {
	it("generates missing access codes, keeps given ones, and stores neither in the clear", async () => {
		const ev = await seedEvent({ buyers: 0 });
		const res = await admin("PUT", `/api/admin/events/${ev.eventId}/buyers`, {
			buyers: [{ id: "X1" }, { id: "X2", accessCode: "given123" }],
		});
		const { buyers } = await res.json<{ buyers: { id: string; accessCode: string }[] }>();
		// API.md v1.1: a generated code carries ≥ 40 bits (13 digits ≈ 43.2 bits).
		expect(buyers[0]?.accessCode).toMatch(/^[0-9]{13}$/);
		expect(buyers[1]?.accessCode).toBe("given123");
		const stored = await env.DB.prepare("SELECT * FROM buyers WHERE event_id = ?").bind(ev.eventId).all();
		expect(JSON.stringify(stored.results)).not.toContain("given123");
		expect(JSON.stringify(stored.results)).not.toContain(buyers[0]?.accessCode);
		const s = await json("POST", "/api/auth/login", {
			eventId: ev.eventId,
			buyerId: "X1",
			accessCode: buyers[0]?.accessCode,
		});
		expect(s.status).toBe(200);
	});
});

describe("orders", () => {
	it("pages through every order with a cursor", async () => {
		const ev = await seedEvent({ listings: 5, buyers: 5 });
		for (const [i, b] of ev.buyerIds.entries()) {
			expect((await claim(await login(ev.eventId, b), `L${i + 1}`)).status).toBe(201);
		}
		await eventuallyOrders(ev.eventId, (r) => expect(r).toHaveLength(5));
		const seen: string[] = [];
		let cursor: string | null = null;
		let pages = 0;
		do {
			const q: string = cursor ? `&cursor=${cursor}` : "";
			const page: { orders: { holdId: string; priceCents: number }[]; nextCursor: string | null } = await (
				await admin("GET", `/api/admin/events/${ev.eventId}/orders?limit=2${q}`)
			).json();
			seen.push(...page.orders.map((o) => o.holdId));
			cursor = page.nextCursor;
			pages += 1;
		} while (cursor);
		expect(pages).toBe(3);
		expect(new Set(seen).size).toBe(5);
		const counts = await (await admin("GET", `/api/admin/events/${ev.eventId}`)).json<{ counts: unknown }>();
		expect(counts.counts).toMatchObject({ listings: 5, available: 0, held: 5, confirmed: 0, buyers: 5 });
		const bad = await admin("GET", `/api/admin/events/${ev.eventId}/orders?cursor=garbage`);
		expect(await errorCode(bad)).toBe("invalid_request");
	});

	it("an order that reaches D1 after a page was served is on a following page, however old it is (finding h)", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 1 });
		const t = Date.UTC(2030, 0, 1);
		const early = [0, 1, 2].map((i) => holdRecord({ eventId: ev.eventId, createdAt: t + i, updatedAt: t + i }));
		await upsertOrders(env, early);
		const first = await (await admin("GET", `/api/admin/events/${ev.eventId}/orders?limit=2`)).json<{
			orders: { holdId: string }[];
			nextCursor: string | null;
		}>();
		expect(first.orders).toHaveLength(2);
		// Created before every order above, written after the first page was served (a slow queue).
		const late = holdRecord({ eventId: ev.eventId, createdAt: t - 60_000, updatedAt: t - 60_000 });
		await upsertOrders(env, [late]);
		const seen = first.orders.map((o) => o.holdId);
		let cursor = first.nextCursor;
		while (cursor) {
			const page = await (await admin("GET", `/api/admin/events/${ev.eventId}/orders?limit=2&cursor=${cursor}`)).json<{
				orders: { holdId: string }[];
				nextCursor: string | null;
			}>();
			seen.push(...page.orders.map((o) => o.holdId));
			cursor = page.nextCursor;
		}
		expect(seen.sort()).toEqual([...early, late].map((h) => h.holdId).sort());
	});
});
