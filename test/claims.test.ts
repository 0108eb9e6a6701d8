// Guarantees 1–3 of API.md under real concurrency: every claim below goes through the worker, the
// buyer's quota object and the listing's inventory object, all in flight at the same time.

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { listingInventoryOf } from "../durable-objects/addresses";
import { claim, errorCode, eventuallyOrders, type Login, login, seedEvent } from "./helpers";

async function loginAll(eventId: string, buyerIds: string[]): Promise<Login[]> {
	const sessions: Login[] = [];
	for (let i = 0; i < buyerIds.length; i += 50) {
		sessions.push(...(await Promise.all(buyerIds.slice(i, i + 50).map((b) => login(eventId, b)))));
	}
	return sessions;
}

async function statusesOf(responses: Response[]) {
	return Promise.all(
		responses.map(async (r) => ({ status: r.status, code: r.status >= 400 ? await errorCode(r) : "ok" })),
	);
}

describe("guarantee 1: never more than stock", () => {
	it("200 buyers racing for one unit: exactly one hold, 199 × 409 sold_out", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 200 });
		const sessions = await loginAll(ev.eventId, ev.buyerIds);
		const results = await statusesOf(await Promise.all(sessions.map((s) => claim(s, "L1"))));
		expect(results.filter((r) => r.status === 201)).toHaveLength(1);
		expect(results.filter((r) => r.status === 409 && r.code === "sold_out")).toHaveLength(199);

		const snap = await listingInventoryOf(env, ev.eventId, "L1").snapshot();
		expect(snap.holds.filter((h) => h.status === "held")).toHaveLength(1);
		expect(snap.available).toBe(0);
		await eventuallyOrders(ev.eventId, (rows) => expect(rows).toHaveLength(1));
	});

	it("a listing with stock 3 is held exactly 3 times by 3 different buyers", async () => {
		const ev = await seedEvent({ listings: 1, stock: 3, buyers: 40 });
		const sessions = await loginAll(ev.eventId, ev.buyerIds);
		const results = await statusesOf(await Promise.all(sessions.map((s) => claim(s, "L1"))));
		expect(results.filter((r) => r.status === 201)).toHaveLength(3);
		expect(results.filter((r) => r.code === "sold_out")).toHaveLength(37);
		const snap = await listingInventoryOf(env, ev.eventId, "L1").snapshot();
		expect(new Set(snap.holds.map((h) => h.buyerId)).size).toBe(3);
	});
});

describe("guarantee 2: never more than perBuyerLimit", () => {
	it("one buyer firing 10 concurrent claims on 10 units with limit 1 gets exactly one", async () => {
		const ev = await seedEvent({ listings: 10, buyers: 1, perBuyerLimit: 1 });
		const s = await login(ev.eventId, "B1");
		const results = await statusesOf(await Promise.all(ev.listingIds.map((l) => claim(s, l))));
		expect(results.filter((r) => r.status === 201)).toHaveLength(1);
		expect(results.filter((r) => r.status === 409 && r.code === "limit_reached")).toHaveLength(9);

		const held = await Promise.all(ev.listingIds.map((l) => listingInventoryOf(env, ev.eventId, l).snapshot())).then(
			(snaps) => snaps.flatMap((s) => s.holds).filter((h) => h.status === "held"),
		);
		expect(held).toHaveLength(1);
		// The nine refused units were never touched: they are all still available.
		await eventuallyOrders(ev.eventId, (rows) => expect(rows).toHaveLength(1));
	});

	it("with limit 2 the same burst yields exactly two holds", async () => {
		const ev = await seedEvent({ listings: 10, buyers: 1, perBuyerLimit: 2 });
		const s = await login(ev.eventId, "B1");
		const results = await statusesOf(await Promise.all(ev.listingIds.map((l) => claim(s, l))));
		expect(results.filter((r) => r.status === 201)).toHaveLength(2);
		expect(results.filter((r) => r.code === "limit_reached")).toHaveLength(8);
	});

	it("claiming a unit you already hold answers 200 with the same hold (retries are safe)", async () => {
		const ev = await seedEvent({ listings: 2, buyers: 1 });
		const s = await login(ev.eventId, "B1");
		const first = await claim(s, "L1");
		expect(first.status).toBe(201);
		const body = await first.json<{ holdId: string }>();
		const again = await Promise.all([claim(s, "L1"), claim(s, "L1"), claim(s, "L1")]);
		for (const r of again) {
			expect(r.status).toBe(200);
			expect(await r.json()).toMatchObject({ holdId: body.holdId, listingId: "L1", status: "held" });
		}
		const other = await claim(s, "L2");
		expect(other.status).toBe(409);
		expect(await errorCode(other)).toBe("limit_reached");
	});

	it("concurrent first claims of the same unit by one buyer share one hold", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 1 });
		const s = await login(ev.eventId, "B1");
		const results = await Promise.all(Array.from({ length: 8 }, () => claim(s, "L1")));
		const bodies = await Promise.all(results.map((r) => r.json<{ holdId: string }>()));
		expect(results.filter((r) => r.status === 201)).toHaveLength(1);
		expect(results.every((r) => r.status === 201 || r.status === 200)).toBe(true);
		expect(new Set(bodies.map((b) => b.holdId)).size).toBe(1);
	});
});

describe("guarantee 3: demand above supply sells everything", () => {
	it("60 buyers chasing 20 units until they get one: all 20 held, none twice", async () => {
		const ev = await seedEvent({ listings: 20, buyers: 60 });
		const sessions = await loginAll(ev.eventId, ev.buyerIds);
		const granted: { holdId: string; listingId: string; buyerId: string }[] = [];
		await Promise.all(
			sessions.map(async (s, i) => {
				// Everyone starts somewhere different and walks the catalogue, like a real crowd.
				for (let k = 0; k < ev.listingIds.length; k++) {
					const listingId = ev.listingIds[(i * 7 + k) % ev.listingIds.length] ?? "L1";
					let res = await claim(s, listingId);
					while (res.status === 429) {
						// A real client backs off as told; the buyer's claim rate is a fairness limit.
						await new Promise((r) => setTimeout(r, Number(res.headers.get("retry-after")) * 1000));
						res = await claim(s, listingId);
					}
					if (res.status === 201) {
						const body = await res.json<{ holdId: string; listingId: string }>();
						granted.push({ ...body, buyerId: s.buyerId });
						return;
					}
					expect(res.status).toBe(409);
					expect(await errorCode(res)).toBe("sold_out");
				}
			}),
		);
		expect(granted).toHaveLength(20);
		expect(new Set(granted.map((g) => g.listingId)).size).toBe(20);
		expect(new Set(granted.map((g) => g.buyerId)).size).toBe(20);
		const rows = await eventuallyOrders(ev.eventId, (r) => expect(r).toHaveLength(20));
		// Guarantee 4 as well: exactly the granted holds, each once.
		expect(rows.map((r) => r.holdId).sort()).toEqual(granted.map((g) => g.holdId).sort());
	});
});
