// The Cron Trigger reconciler and the parity report (issue 9, item 3): whatever happened to the queue
// or to D1, the next run compares each listing's inventory object with D1's orders and re-sends what
// D1 lacks or has at an older version. The damage is done to D1 and to the outbox directly (an order
// lost for good, a row left at an old version, outbox rows an older deployment already deleted).
import { createScheduledController, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { listingInventoryOf } from "../durable-objects/addresses";
import type { ListingInventory } from "../durable-objects/listing-inventory";
import { turnOf } from "../reconciler/reconcile-orders";
import worker from "../worker/index";
import { admin, claim, eventuallyOrders, login, seedEvent } from "./helpers";

interface Parity {
	listings: number;
	objectHolds: number;
	d1Orders: number;
	missing: { holdId: string; listingId: string; status: string; version: number }[];
	stale: { holdId: string; listingId: string; objectVersion: number; d1Version: number }[];
	unacknowledged: number;
}

async function parity(eventId: string): Promise<Parity> {
	const res = await admin("GET", `/api/admin/events/${eventId}/parity`);
	expect(res.status).toBe(200);
	return res.json<Parity>();
}

/** Two holds in D1, then D1 loses one and rolls the other back, and the outbox has forgotten both. */
async function damagedEvent() {
	const ev = await seedEvent({ listings: 3, buyers: 2 });
	const lost = await (await claim(await login(ev.eventId, "B1"), "L1")).json<{ holdId: string }>();
	const rolledBack = await (await claim(await login(ev.eventId, "B2"), "L2")).json<{ holdId: string }>();
	expect((await listingInventoryOf(env, ev.eventId, "L2").release(rolledBack.holdId, "admin")).kind).toBe("ok");
	await eventuallyOrders(ev.eventId, (rows) => expect(rows.map((r) => r.status).sort()).toEqual(["held", "released"]));
	for (const listingId of ev.listingIds) {
		await runInDurableObject(listingInventoryOf(env, ev.eventId, listingId), (_: ListingInventory, state) => {
			state.storage.sql.exec("DELETE FROM outbox");
		});
	}
	await env.DB.prepare("DELETE FROM orders WHERE hold_id = ?").bind(lost.holdId).run();
	await env.DB.prepare("UPDATE orders SET status = 'held', version = 1 WHERE hold_id = ?")
		.bind(rolledBack.holdId)
		.run();
	return { ev, lost: lost.holdId, rolledBack: rolledBack.holdId };
}

describe("the orders reconciler (Cron Trigger)", () => {
	it("re-sends what D1 lacks or has at an older version, and the parity report says so before and after", async () => {
		const { ev, lost, rolledBack } = await damagedEvent();

		const before = await parity(ev.eventId);
		expect(before).toMatchObject({ listings: 3, objectHolds: 2, d1Orders: 1, unacknowledged: 0 });
		expect(before.missing.map((m) => [m.holdId, m.status, m.version])).toEqual([[lost, "held", 1]]);
		expect(before.stale.map((s) => [s.holdId, s.objectVersion, s.d1Version])).toEqual([[rolledBack, 2, 1]]);

		await worker.scheduled(createScheduledController({ scheduledTime: new Date(), cron: "* * * * *" }), env);

		const rows = await eventuallyOrders(ev.eventId, (r) =>
			expect(r.map((o) => [o.holdId, o.status]).sort()).toEqual(
				[
					[lost, "held"],
					[rolledBack, "released"],
				].sort(),
			),
		);
		expect(rows).toHaveLength(2);
		const after = await parity(ev.eventId);
		expect(after).toMatchObject({ objectHolds: 2, d1Orders: 2, missing: [], stale: [] });
	});

	it("a run with nothing to do changes nothing (idempotent)", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 1 });
		await claim(await login(ev.eventId, "B1"), "L1");
		const first = await eventuallyOrders(ev.eventId, (r) => expect(r).toHaveLength(1));
		for (let i = 0; i < 2; i++) {
			await worker.scheduled(createScheduledController({ scheduledTime: new Date(), cron: "* * * * *" }), env);
		}
		expect(await eventuallyOrders(ev.eventId, (r) => expect(r).toHaveLength(1))).toEqual(first);
		expect(await parity(ev.eventId)).toMatchObject({ missing: [], stale: [] });
	});

	it("parity of an unknown event is 404", async () => {
		expect((await admin("GET", "/api/admin/events/no-such-event/parity")).status).toBe(404);
	});
});

describe("the reconciler's budget", () => {
	it("takes everything that fits, else a slice that moves each minute and covers all in turn", () => {
		const all = Array.from({ length: 10 }, (_, i) => i);
		expect(turnOf(all, 7, 20)).toEqual(all);
		const seen = new Set<number>();
		for (let minute = 0; minute < 3; minute++) {
			const turn = turnOf(all, minute, 4);
			expect(turn).toHaveLength(4);
			for (const x of turn) seen.add(x);
		}
		expect(seen.size).toBe(10);
	});
});
