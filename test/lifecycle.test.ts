// Guarantee 5: an expired, released or cancelled hold frees its unit and its buyer's quota, exactly
// once; plus confirmation, and holds surviving an evicted inventory object.
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { buyerQuotaOf, listingInventoryOf } from "../durable-objects/addresses";
import type { ListingInventory } from "../durable-objects/listing-inventory";
import { clearSoldOut } from "../worker/hot-reads/sold-out-flags";
import { admin, bearer, call, cancel, claim, errorCode, eventuallyOrders, login, seedEvent } from "./helpers";

/** Moves every live hold of a listing to a past expiry, as if holdSeconds had elapsed. */
async function backdateHolds(eventId: string, listingId: string): Promise<void> {
	await runInDurableObject(listingInventoryOf(env, eventId, listingId), (_: ListingInventory, state) => {
		state.storage.sql.exec("UPDATE holds SET expires_at = ? WHERE status = 'held'", Date.now() - 1);
	});
}

async function holdsOf(session: Awaited<ReturnType<typeof login>>) {
	const res = await call("/api/me/holds", { headers: bearer(session) });
	expect(res.status).toBe(200);
	return (await res.json<{ holds: { holdId: string; listingId: string; status: string }[] }>()).holds;
}

describe("hold expiry by alarm", () => {
	it("frees the unit and the quota exactly once and records the expiry in D1", async () => {
		const ev = await seedEvent({ listings: 2, buyers: 2, holdSeconds: 60 });
		const b1 = await login(ev.eventId, "B1");
		const b2 = await login(ev.eventId, "B2");
		const first = await claim(b1, "L1");
		expect(first.status).toBe(201);
		const { holdId } = await first.json<{ holdId: string }>();
		expect((await claim(b2, "L1")).status).toBe(409);

		await backdateHolds(ev.eventId, "L1");
		const inventory = listingInventoryOf(env, ev.eventId, "L1");
		expect(await runDurableObjectAlarm(inventory)).toBe(true);
		// Time travel: the edge's sold-out flag trusted the hold's real expiry, which has now "passed".
		clearSoldOut(ev.eventId, "L1");

		// The unit is free: somebody else gets it at once.
		expect((await claim(b2, "L1")).status).toBe(201);
		// The quota came back: B1 may claim again.
		await vi.waitFor(async () => expect((await claim(b1, "L2")).status).toBe(201), { timeout: 5_000 });
		// Running the alarm again changes nothing: B2's fresh hold is untouched.
		await runDurableObjectAlarm(inventory);
		const snap = await inventory.snapshot();
		expect(snap.holds.map((h) => h.status).sort()).toEqual(["expired", "held"]);
		expect(snap.available).toBe(0);

		const rows = await eventuallyOrders(ev.eventId, (r) => {
			expect(r).toHaveLength(3);
			expect(r.find((o) => o.holdId === holdId)?.status).toBe("expired");
		});
		expect(rows.filter((r) => r.status === "held")).toHaveLength(2);
		expect((await holdsOf(b1)).find((h) => h.holdId === holdId)?.status).toBe("expired");
	});

	it("a confirmed hold never expires", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 2 });
		const b1 = await login(ev.eventId, "B1");
		const { holdId } = await (await claim(b1, "L1")).json<{ holdId: string }>();
		await eventuallyOrders(ev.eventId, (r) => expect(r).toHaveLength(1));
		const confirmed = await admin("POST", `/api/admin/holds/${holdId}/confirm`);
		expect(confirmed.status).toBe(200);
		expect(await confirmed.json()).toMatchObject({ hold: { holdId, status: "confirmed", expiresAt: null } });

		await backdateHolds(ev.eventId, "L1");
		await runDurableObjectAlarm(listingInventoryOf(env, ev.eventId, "L1"));
		const b2 = await login(ev.eventId, "B2");
		expect(await errorCode(await claim(b2, "L1"))).toBe("sold_out");
		await eventuallyOrders(ev.eventId, (r) => expect(r[0]?.status).toBe("confirmed"));
		await vi.waitFor(async () => expect((await holdsOf(b1))[0]?.status).toBe("confirmed"), { timeout: 5_000 });
		// Confirmed units count against the limit too.
		const again = await claim(b1, "L1");
		expect(again.status).toBe(200);
	});
});

describe("staff release and buyer cancel", () => {
	it("staff release frees the unit and the buyer's quota", async () => {
		const ev = await seedEvent({ listings: 2, buyers: 2 });
		const b1 = await login(ev.eventId, "B1");
		const { holdId } = await (await claim(b1, "L1")).json<{ holdId: string }>();
		await eventuallyOrders(ev.eventId, (r) => expect(r).toHaveLength(1));
		const res = await admin("POST", `/api/admin/holds/${holdId}/release`);
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ hold: { status: "released" } });
		// Releasing twice is refused and changes nothing.
		const twice = await admin("POST", `/api/admin/holds/${holdId}/release`);
		expect(twice.status).toBe(409);
		expect(await errorCode(twice)).toBe("hold_not_active");

		const b2 = await login(ev.eventId, "B2");
		expect((await claim(b2, "L1")).status).toBe(201);
		await vi.waitFor(async () => expect((await claim(b1, "L2")).status).toBe(201), { timeout: 5_000 });
		await eventuallyOrders(ev.eventId, (r) => expect(r.find((o) => o.holdId === holdId)?.status).toBe("released"));
	});

	it("a buyer's cancel frees the unit and the quota before it returns", async () => {
		const ev = await seedEvent({ listings: 2, buyers: 2 });
		const b1 = await login(ev.eventId, "B1");
		const { holdId } = await (await claim(b1, "L1")).json<{ holdId: string }>();
		const res = await cancel(b1, holdId);
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ holdId, status: "cancelled" });
		expect((await claim(b1, "L2")).status).toBe(201);
		const b2 = await login(ev.eventId, "B2");
		expect((await claim(b2, "L1")).status).toBe(201);
		const again = await cancel(b1, holdId);
		expect(await errorCode(again)).toBe("hold_not_active");
	});

	it("a buyer cannot cancel another buyer's hold", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 2 });
		const b1 = await login(ev.eventId, "B1");
		const b2 = await login(ev.eventId, "B2");
		const { holdId } = await (await claim(b1, "L1")).json<{ holdId: string }>();
		await eventuallyOrders(ev.eventId, (r) => expect(r).toHaveLength(1));
		const res = await cancel(b2, holdId);
		expect(res.status).toBe(403);
		expect(await errorCode(res)).toBe("forbidden");
		expect((await listingInventoryOf(env, ev.eventId, "L1").snapshot()).holds[0]?.status).toBe("held");
		const unknown = await cancel(b2, "nope");
		expect(unknown.status).toBe(404);
	});
});

describe("durability", () => {
	it("an evicted inventory object keeps its holds and still refuses a second buyer", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 2 });
		const b1 = await login(ev.eventId, "B1");
		const { holdId } = await (await claim(b1, "L1")).json<{ holdId: string }>();
		const inventory = listingInventoryOf(env, ev.eventId, "L1");
		await evictDurableObject(inventory);
		const snap = await inventory.snapshot();
		expect(snap.holds).toMatchObject([{ holdId, buyerId: "B1", status: "held" }]);
		const b2 = await login(ev.eventId, "B2");
		expect(await errorCode(await claim(b2, "L1"))).toBe("sold_out");
		await evictDurableObject(buyerQuotaOf(env, ev.eventId, "B1"));
		expect((await holdsOf(b1)).map((h) => h.holdId)).toEqual([holdId]);
	});
});

describe("exactly once at the buyer object", () => {
	it("an end delivered twice, and a stale grant after it, free the quota once and never take it back", async () => {
		const ev = await seedEvent({ listings: 3, buyers: 1, perBuyerLimit: 1 });
		const b1 = await login(ev.eventId, "B1");
		const first = await (await claim(b1, "L1")).json<{ holdId: string }>();
		const inventory = listingInventoryOf(env, ev.eventId, "L1");
		const granted = (await inventory.snapshot()).holds[0];
		if (!granted) throw new Error("no hold");
		const released = await inventory.release(first.holdId, "admin");
		if (released.kind !== "ok") throw new Error(released.kind);
		const buyer = buyerQuotaOf(env, ev.eventId, "B1");
		// The outbox delivers at least once, in any order: replay the end, then the old grant.
		await buyer.applyHold(released.hold);
		await buyer.applyHold(released.hold);
		await buyer.applyHold(granted);
		expect((await holdsOf(b1)).map((h) => h.status)).toEqual(["released"]);
		// Exactly one unit of quota came back: one new claim passes, the next is over the limit.
		expect((await claim(b1, "L2")).status).toBe(201);
		expect(await errorCode(await claim(b1, "L3"))).toBe("limit_reached");
	});
});
