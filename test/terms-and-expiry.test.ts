// The review's findings (d), (e) and (g), each forced rather than hoped for:
// (d) one authority for terms: an edit that reaches D1 just before the first claim is what the inventory
//     uses, and once a hold exists no edit can change the terms — whichever isolate made the edit and
//     however stale this isolate's catalogue copy is (edits "through another isolate" are written to D1
//     directly, so this isolate's copy stays as it was);
// (e) staff confirm and release a hold the moment its claim was answered, before D1 has the order;
// (g) a hold past its expiresAt whose alarm has not run (deleted, so it cannot) is not active: not for
//     confirm, not for the unit's count, not for its buyer's limit.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { findEvent, upsertEvent } from "../db/events";
import { upsertListings } from "../db/listings";
import { findHoldAddress } from "../db/orders";
import { buyerQuotaOf, listingInventoryOf } from "../durable-objects/addresses";
import type { BuyerQuota } from "../durable-objects/buyer-quota";
import type { ListingInventory } from "../durable-objects/listing-inventory";
import { clearSoldOut } from "../worker/hot-reads/sold-out-flags";
import { admin, bearer, call, cancel, claim, errorCode, eventuallyOrders, login, seedEvent } from "./helpers";

/** L1 as seedEvent lists it, with `changes`: an operator's edit of its terms. */
function editedL1(changes: { stock?: number; priceCents?: number }) {
	return {
		id: "L1",
		building: "1",
		floor: 1,
		unit: "01",
		layout: "3室2厅",
		areaM2: 98.5,
		priceCents: 3_000_000_00,
		stock: 1,
		...changes,
	};
}

/** The event's editable fields as D1 has them now, with `changes`. */
async function eventEdit(eventId: string, changes: { startsAt?: string; holdSeconds?: number }) {
	const event = await findEvent(env, eventId);
	if (!event) throw new Error(`no event ${eventId}`);
	const { name, startsAt, endsAt, holdSeconds, perBuyerLimit, currency } = event;
	return { name, startsAt, endsAt, holdSeconds, perBuyerLimit, currency, ...changes };
}

async function waitForStatus(read: () => Promise<{ status: string }>, status: string): Promise<void> {
	for (let i = 0; i < 200 && (await read()).status !== status; i++) await new Promise((r) => setTimeout(r, 10));
	expect((await read()).status).toBe(status);
}

describe("(d) the terms have one authority, frozen at the first claim", () => {
	it("an edit that reaches D1 just before the first claim is exactly what the inventory uses", async () => {
		const ev = await seedEvent({ listings: 2, buyers: 1, holdSeconds: 900 });
		const b1 = await login(ev.eventId, "B1");
		// This isolate's copies of the event and catalogue are warm (a claim of an unknown listing reads
		// both and reaches no object, so it freezes nothing).
		expect((await claim(b1, "NOPE")).status).toBe(404);
		// The operator's edit lands through another isolate, a moment before the opening's first claim.
		await upsertListings(env, ev.eventId, [editedL1({ stock: 2, priceCents: 123 })]);
		const now = new Date().toISOString();
		await upsertEvent(env, ev.eventId, await eventEdit(ev.eventId, { holdSeconds: 1_200 }), now);

		expect((await claim(b1, "L1")).status).toBe(201);
		const snapshot = await listingInventoryOf(env, ev.eventId, "L1").snapshot();
		expect(snapshot.terms).toEqual({
			eventId: ev.eventId,
			listingId: "L1",
			stock: 2,
			priceCents: 123,
			holdSeconds: 1_200,
		});
		const [hold] = snapshot.holds;
		expect(hold && (hold.expiresAt ?? 0) - hold.createdAt).toBe(1_200_000);
		expect(hold?.priceCents).toBe(123);
		// From the first claim on, nothing can change them, through any isolate.
		expect(await upsertListings(env, ev.eventId, [editedL1({ stock: 5 })])).toEqual({ kind: "event_locked" });
		const later = await upsertEvent(env, ev.eventId, await eventEdit(ev.eventId, { holdSeconds: 60 }), now);
		expect(later).toEqual({ kind: "event_locked" });
	});

	it("an opening postponed just as a stale isolate granted a hold: the terms can no longer change", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 2, open: false });
		const now = Date.now();
		// The event opens by its start time…
		const opened = await admin("PUT", `/api/admin/events/${ev.eventId}`, {
			...(await eventEdit(ev.eventId, { startsAt: new Date(now - 1_000).toISOString() })),
		});
		expect(opened.status).toBe(200);
		const b1 = await login(ev.eventId, "B1");
		expect((await claim(b1, "NOPE")).status).toBe(404); // this isolate's copy: open
		// …and is postponed through another isolate; this isolate still has its copy of a second ago.
		const postponed = await eventEdit(ev.eventId, { startsAt: new Date(now + 3_600_000).toISOString() });
		await upsertEvent(env, ev.eventId, postponed, new Date().toISOString());
		const granted = await claim(b1, "L1");
		expect(granted.status).toBe(201);

		// D1 now says "scheduled", but a hold exists: its terms are frozen, every edit of them refused.
		expect((await findEvent(env, ev.eventId))?.openedAt).toBeNull();
		const stock = await admin("PUT", `/api/admin/events/${ev.eventId}/listings`, {
			listings: [editedL1({ stock: 3 })],
		});
		expect(stock.status).toBe(409);
		expect(await errorCode(stock)).toBe("event_locked");
		const later = await admin("PUT", `/api/admin/events/${ev.eventId}`, {
			...(await eventEdit(ev.eventId, { startsAt: new Date(now + 5_400_000).toISOString(), holdSeconds: 60 })),
		});
		expect(later.status).toBe(409);
		expect(await errorCode(later)).toBe("event_locked");
		const buyers = await admin("PUT", `/api/admin/events/${ev.eventId}/buyers`, { buyers: [{ id: "B9" }] });
		expect(buyers.status).toBe(409);
		// D1 and the inventory agree.
		const { listings } = await (await call(`/api/events/${ev.eventId}/listings`)).json<{
			listings: { id: string; stock: number; priceCents: number }[];
		}>();
		const { terms } = await listingInventoryOf(env, ev.eventId, "L1").snapshot();
		expect(listings).toMatchObject([{ id: "L1", stock: terms?.stock, priceCents: terms?.priceCents }]);
	});

	it("edits before any claim still work", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 1, open: false });
		const res = await admin("PUT", `/api/admin/events/${ev.eventId}/listings`, { listings: [editedL1({ stock: 4 })] });
		expect(res.status).toBe(200);
		const buyers = await admin("PUT", `/api/admin/events/${ev.eventId}/buyers`, { buyers: [{ id: "B9" }] });
		expect(buyers.status).toBe(200);
	});
});

describe("(e) confirm and release from the moment the claim was answered", () => {
	it("confirm and release right after the 201, before D1 has the order: 200", async () => {
		const ev = await seedEvent({ listings: 2, buyers: 3 });
		const [b1, b2, b3] = await Promise.all(["B1", "B2", "B3"].map((b) => login(ev.eventId, b)));
		if (!b1 || !b2 || !b3) throw new Error("logins");
		const first = await (await claim(b1, "L1")).json<{ holdId: string }>();
		const second = await (await claim(b2, "L2")).json<{ holdId: string }>();
		// The orders queue has not delivered them yet (its batch waits about a second).
		expect(await findHoldAddress(env, first.holdId)).toBeNull();
		expect(await findHoldAddress(env, second.holdId)).toBeNull();

		const confirmed = await admin("POST", `/api/admin/holds/${first.holdId}/confirm`);
		expect(confirmed.status).toBe(200);
		expect(await confirmed.json()).toMatchObject({ hold: { holdId: first.holdId, status: "confirmed" } });
		const released = await admin("POST", `/api/admin/holds/${second.holdId}/release`);
		expect(released.status).toBe(200);
		expect(await released.json()).toMatchObject({ hold: { holdId: second.holdId, status: "released" } });
		// Somebody else's hold is theirs from the first moment too: 403, not 404.
		expect(await errorCode(await cancel(b3, first.holdId))).toBe("forbidden");
		// The released unit is free at once.
		expect((await claim(b3, "L2")).status).toBe(201);
		await eventuallyOrders(ev.eventId, (rows) =>
			expect(Object.fromEntries(rows.map((o) => [o.holdId, o.status]))).toMatchObject({
				[first.holdId]: "confirmed",
				[second.holdId]: "released",
			}),
		);
	});

	it("a hold id that names a listing without that hold is 404", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 1 });
		const b1 = await login(ev.eventId, "B1");
		const { holdId } = await (await claim(b1, "L1")).json<{ holdId: string }>();
		const forged = `${holdId.slice(0, -1)}${holdId.endsWith("A") ? "B" : "A"}`;
		expect((await admin("POST", `/api/admin/holds/${forged}/confirm`)).status).toBe(404);
	});
});

/** A granted hold of B1 on L1 whose time has passed and whose alarm was deleted, so it cannot run. */
async function heldPastExpiry() {
	const ev = await seedEvent({ listings: 2, buyers: 2, holdSeconds: 60 });
	const b1 = await login(ev.eventId, "B1");
	const b2 = await login(ev.eventId, "B2");
	const res = await claim(b1, "L1");
	expect(res.status).toBe(201);
	const { holdId } = await res.json<{ holdId: string }>();
	// Time travel: the 60 s have passed for both objects that know the hold.
	const past = Date.now() - 1;
	await runInDurableObject(listingInventoryOf(env, ev.eventId, "L1"), async (_: ListingInventory, state) => {
		await state.storage.deleteAlarm();
		state.storage.sql.exec("UPDATE holds SET expires_at = ? WHERE status = 'held'", past);
	});
	await runInDurableObject(buyerQuotaOf(env, ev.eventId, "B1"), (_: BuyerQuota, state) => {
		state.storage.sql.exec("UPDATE reservations SET expires_at = ? WHERE status = 'held'", past);
	});
	// The edge's sold-out flag trusted the hold's real expiry, which has now "passed" too.
	clearSoldOut(ev.eventId, "L1");
	return { ev, b1, b2, holdId };
}

describe("(g) a hold past its expiresAt is not active, even before its alarm has run", () => {
	it("confirm: 409 hold_not_active, status expired; the expiry happens there, exactly once", async () => {
		const { ev, holdId } = await heldPastExpiry();
		const inventory = listingInventoryOf(env, ev.eventId, "L1");
		// Long after the grant (D1 has the order), so that only the expiry is in question.
		await eventuallyOrders(ev.eventId, (rows) => expect(rows).toMatchObject([{ holdId, status: "held" }]));
		const res = await admin("POST", `/api/admin/holds/${holdId}/confirm`);
		expect(res.status).toBe(409);
		expect(await res.json()).toMatchObject({ error: { code: "hold_not_active", status: "expired" } });
		expect((await admin("POST", `/api/admin/holds/${holdId}/release`)).status).toBe(409);
		// The alarm, when it finally runs, finds nothing left to expire.
		await runInDurableObject(inventory, (instance: ListingInventory) => instance.alarm());
		const { holds } = await inventory.snapshot();
		expect(holds).toMatchObject([{ holdId, status: "expired", version: 2 }]);
		await eventuallyOrders(ev.eventId, (rows) => expect(rows).toMatchObject([{ holdId, status: "expired" }]));
	});

	it("counts: the unit is available, peek says not sold out, another buyer's claim is granted", async () => {
		const { ev, b2 } = await heldPastExpiry();
		const inventory = listingInventoryOf(env, ev.eventId, "L1");
		expect(await inventory.peek()).toBeNull();
		expect((await inventory.snapshot()).available).toBe(1);
		const res = await claim(b2, "L1");
		expect(res.status).toBe(201);
		const { holds } = await inventory.snapshot();
		expect(holds.map((h) => [h.buyerId, h.status])).toEqual([
			["B2", "held"],
			["B1", "expired"],
		]);
	});

	it("the buyer's limit: the expired hold no longer counts, and shows as expired", async () => {
		const { b1 } = await heldPastExpiry();
		const res = await claim(b1, "L2");
		expect(res.status).toBe(201);
		const mine = await (await call("/api/me/holds", { headers: bearer(b1) })).json<{
			holds: { listingId: string; status: string }[];
		}>();
		expect(mine.holds).toEqual(
			expect.arrayContaining([
				expect.objectContaining({ listingId: "L1", status: "expired" }),
				expect.objectContaining({ listingId: "L2", status: "held" }),
			]),
		);
	});

	it("a confirm just before the hold's time, not yet known to the buyer object, still counts (review)", async () => {
		const ev = await seedEvent({ listings: 2, buyers: 1, perBuyerLimit: 1 });
		const b1 = await login(ev.eventId, "B1");
		const { holdId } = await (await claim(b1, "L1")).json<{ holdId: string }>();
		expect((await listingInventoryOf(env, ev.eventId, "L1").confirm(holdId, "admin")).kind).toBe("ok");
		const buyer = buyerQuotaOf(env, ev.eventId, "B1");
		const rowOf = () =>
			runInDurableObject(buyer, (_: BuyerQuota, state) =>
				state.storage.sql.exec<{ status: string }>("SELECT status FROM reservations WHERE hold_id = ?", holdId).one(),
			);
		// The confirm's news has reached the buyer object; roll its copy back to what it was a moment
		// before (held, version 1) and let the hold's time pass there: the news is still on its way.
		await waitForStatus(rowOf, "confirmed");
		await runInDurableObject(buyer, (_: BuyerQuota, state) => {
			state.storage.sql.exec(
				"UPDATE reservations SET status = 'held', version = 1, expires_at = ? WHERE hold_id = ?",
				Date.now() - 1,
				holdId,
			);
		});
		// The buyer's next claim asks L1's object how the lapsed hold ended: confirmed, so it counts.
		expect(await errorCode(await claim(b1, "L2"))).toBe("limit_reached");
		expect((await rowOf()).status).toBe("confirmed");
	});
});
