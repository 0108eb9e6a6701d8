// Auto-claim (API.md v1.1 "Wish lists and auto-claim"): run by the buyer's object from its alarm, at
// the buyer's entry time plus autoClaimDelaySeconds, through the same claim path as the buyer's own
// claims (limit, stock, outbox to orders, ledger and hub), under actor `system`, at most once.
//
// Most tests drive the alarm by hand (runDurableObjectAlarm): the event is created with a delay of an
// hour, so no alarm fires by itself, and the delay is then set to 0 in D1 — the alarm reads the event
// from D1 when it runs, so it is due at once. The schedules that could break a guarantee are forced
// through the buyer object's test-only pause points (test/claim-gates.ts). The last tests let the real
// alarms fire and print the latency after the due moment.
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { dbOf, schema } from "../db/client";
import { buyerQuotaOf, listingInventoryOf } from "../durable-objects/addresses";
import type { BuyerQuota } from "../durable-objects/buyer-quota";
import { seedHashOf } from "../lib/draw";
import { invalidateEvent } from "../worker/hot-reads/catalogue";
import { rearmAutoClaims } from "../worker/wishlist/rearm-auto-claims";
import { gateAt } from "./claim-gates";
import {
	admin,
	bearer,
	call,
	cancel,
	claim,
	errorCode,
	eventuallyOrders,
	json,
	type Login,
	login,
	seedEvent,
} from "./helpers";

interface AutoEventOptions {
	listings?: number;
	buyers?: number;
	perBuyerLimit?: number;
	delaySeconds?: number;
	startsInMs?: number;
	mode?: "race" | "lottery";
	batchSize?: number;
	batchSeconds?: number;
}

async function autoEvent(o: AutoEventOptions = {}) {
	const now = Date.now();
	return seedEvent({
		prefix: "auto",
		event: {
			startsAt: new Date(now + (o.startsInMs ?? 3_600_000)).toISOString(),
			endsAt: new Date(now + 7_200_000).toISOString(),
			autoClaimDelaySeconds: o.delaySeconds ?? 3_600,
			mode: o.mode ?? "race",
			batchSize: o.batchSize ?? 10,
			batchSeconds: o.batchSeconds ?? 300,
		},
		perBuyerLimit: o.perBuyerLimit ?? 1,
		listings: o.listings ?? 4,
		buyers: o.buyers ?? 3,
		priceCents: () => 100_00,
		phone: null,
		open: false,
	});
}

const setWishes = async (s: Login, listingIds: string[], autoClaim = true) => {
	const res = await json("PUT", "/api/me/wishlist", { listingIds, autoClaim }, bearer(s));
	expect(res.status).toBe(200);
};

const open = async (eventId: string) =>
	expect((await admin("POST", `/api/admin/events/${eventId}/status`, { status: "open" })).status).toBe(200);

/** Makes auto-claim due now for every buyer of the event: the alarm reads the delay from D1. */
async function dueNow(eventId: string) {
	const e = schema.events;
	await dbOf(env).update(e).set({ autoClaimDelaySeconds: 0 }).where(eq(e.id, eventId));
	await invalidateEvent(eventId);
}

const quota = (eventId: string, buyerId: string) => buyerQuotaOf(env, eventId, buyerId);
const runAlarm = (eventId: string, buyerId: string) => runDurableObjectAlarm(quota(eventId, buyerId));

/** An event whose buyer B1 wished for `wishes` with auto-claim on, open, its auto-claim due now. */
async function dueWithWishes(wishes: string[]) {
	const ev = await autoEvent();
	const b1 = await login(ev.eventId, "B1");
	await setWishes(b1, wishes);
	await open(ev.eventId);
	await dueNow(ev.eventId);
	return { ev, b1 };
}

/**
 * B1's auto-claim stopped at `point` and its object evicted there (the instance goes away with its
 * in-memory wait; only its storage, the pending auto row, stays), then the alarm run three times more.
 * Gives the hold id the lost call carried.
 */
async function evictedAt(eventId: string, point: "before_settle" | "before_inventory") {
	const stub = quota(eventId, "B1");
	const gate = await gateAt(eventId, "B1", point);
	const firstRun = runAlarm(eventId, "B1").catch(() => "evicted");
	const holdId = await gate.reached;
	await gate.fail();
	await evictDurableObject(stub).catch(() => undefined);
	await firstRun;
	for (let i = 0; i < 3; i++) await runInDurableObject(stub, (instance: BuyerQuota) => instance.alarm());
	return { stub, holdId };
}

interface MyHold {
	holdId: string;
	listingId: string;
	status: string;
	auto?: true;
}

async function myHolds(s: Login): Promise<MyHold[]> {
	const res = await call("/api/me/holds", { headers: bearer(s) });
	expect(res.status).toBe(200);
	return (await res.json<{ holds: MyHold[] }>()).holds;
}

/** Every hold of the event's listings, as the inventory objects (the authority) have them. */
async function inventoryHolds(eventId: string, listingIds: string[]) {
	const all = await Promise.all(
		listingIds.map(async (l) => (await listingInventoryOf(env, eventId, l).snapshot()).holds),
	);
	return all.flat();
}

const active = (h: { status: string }) => h.status === "held" || h.status === "confirmed";

async function ledgerEntries(eventId: string) {
	const res = await admin("GET", `/api/admin/events/${eventId}/ledger?limit=1000`);
	expect(res.status).toBe(200);
	return (await res.json<{ entries: { kind: string; actor: string; data: Record<string, unknown> }[] }>()).entries;
}

describe("auto-claim: what it gives", () => {
	it("gives the first wish that still has a unit (skipping sold-out ones), marked auto, by system in the ledger", async () => {
		const ev = await autoEvent();
		const [b1, b2] = await Promise.all(["B1", "B2"].map((id) => login(ev.eventId, id)));
		await setWishes(b1 as Login, ["L1", "L2", "L3"]);
		await open(ev.eventId);
		// B2 takes L1 by hand before B1's auto-claim is due.
		expect((await claim(b2 as Login, "L1")).status).toBe(201);
		await dueNow(ev.eventId);
		expect(await runAlarm(ev.eventId, "B1")).toBe(true);
		const holds = await myHolds(b1 as Login);
		expect(holds).toHaveLength(1);
		expect(holds[0]).toMatchObject({ listingId: "L2", status: "held", auto: true });
		// A hold the buyer made by hand carries no auto field.
		expect((await myHolds(b2 as Login))[0]).not.toHaveProperty("auto");
		expect(await quota(ev.eventId, "B1").autoClaimStatus()).toMatchObject({
			state: "done",
			outcome: "granted",
			holdId: holds[0]?.holdId,
		});
		// The same guarantees as a claim: one order in D1, one ledger entry, under `system`.
		const holdId = holds[0]?.holdId as string;
		await eventuallyOrders(ev.eventId, (rows) =>
			expect(rows.filter((r) => r.buyerId === "B1").map((r) => [r.holdId, r.listingId, r.status])).toEqual([
				[holdId, "L2", "held"],
			]),
		);
		await vi.waitFor(
			async () => {
				const granted = (await ledgerEntries(ev.eventId)).filter(
					(e) => e.kind === "hold_granted" && e.data.holdId === holdId,
				);
				expect(granted.map((e) => e.actor)).toEqual(["system"]);
			},
			{ timeout: 10_000, interval: 100 },
		);
	});

	it("gives nothing when every wish is sold out, and nothing to a buyer who already holds a unit", async () => {
		// A limit of 2: B2 could take a second unit; it holds one, so auto-claim gives it nothing.
		const ev = await autoEvent({ buyers: 4, perBuyerLimit: 2 });
		const [b1, b2, b3, b4] = await Promise.all(ev.buyerIds.map((id) => login(ev.eventId, id)));
		await setWishes(b1 as Login, ["L1", "L2"]);
		await setWishes(b2 as Login, ["L4"]);
		await open(ev.eventId);
		expect((await claim(b3 as Login, "L1")).status).toBe(201);
		expect((await claim(b4 as Login, "L2")).status).toBe(201);
		expect((await claim(b2 as Login, "L3")).status).toBe(201); // B2 holds something already
		await dueNow(ev.eventId);
		await runAlarm(ev.eventId, "B1");
		await runAlarm(ev.eventId, "B2");
		expect(await myHolds(b1 as Login)).toEqual([]);
		expect((await myHolds(b2 as Login)).map((h) => h.listingId)).toEqual(["L3"]);
		expect(await quota(ev.eventId, "B1").autoClaimStatus()).toMatchObject({ state: "done", outcome: "nothing_left" });
		expect(await quota(ev.eventId, "B2").autoClaimStatus()).toMatchObject({
			state: "done",
			outcome: "already_holding",
		});
		// L4 was B2's only wish: still there.
		expect((await inventoryHolds(ev.eventId, ["L4"])).filter(active)).toEqual([]);
	});

	it("does nothing for a buyer with autoClaim off, nor before its time", async () => {
		const ev = await autoEvent();
		const [b1, b2] = await Promise.all(["B1", "B2"].map((id) => login(ev.eventId, id)));
		await setWishes(b1 as Login, ["L1"], false);
		await setWishes(b2 as Login, ["L2"], true);
		await open(ev.eventId);
		// Not due yet (an hour's delay): the alarm looks, and waits.
		await runAlarm(ev.eventId, "B2");
		expect(await myHolds(b2 as Login)).toEqual([]);
		const waiting = await quota(ev.eventId, "B2").autoClaimStatus();
		expect(waiting.state).toBe("armed");
		expect(waiting.wakeAt).toBeGreaterThan(Date.now() + 3_000_000);
		await dueNow(ev.eventId);
		await runAlarm(ev.eventId, "B1");
		expect(await myHolds(b1 as Login)).toEqual([]);
		expect((await quota(ev.eventId, "B1").autoClaimStatus()).state).toBe("off");
	});

	it("in a lottery event, waits for the buyer's own batch (guarantee 8), counted from the actual opening", async () => {
		const ev = await autoEvent({ mode: "lottery", batchSize: 1, batchSeconds: 3_600, delaySeconds: 0 });
		const sessions = await Promise.all(ev.buyerIds.map((id) => login(ev.eventId, id)));
		for (const s of sessions) await setWishes(s, ["L1", "L2", "L3"]);
		await admin("POST", `/api/admin/events/${ev.eventId}/draw/commit`, { seedHash: await seedHashOf("auto seed") });
		const revealed = await admin("POST", `/api/admin/events/${ev.eventId}/draw/reveal`, { seed: "auto seed" });
		const order = (await revealed.json<{ draw: { order: string[] } }>()).draw.order;
		// The operator opens an hour before startsAt: batch 0 enters now, batch 1 an hour from now.
		await open(ev.eventId);
		const { event } = await (await admin("GET", `/api/admin/events/${ev.eventId}`)).json<{
			event: { openedAt: string };
		}>();
		await rearmAutoClaims(env, ev.eventId); // what the status route started after its answer
		const [first, second] = order as [string, string];
		await vi.waitFor(async () => expect((await quota(ev.eventId, first).autoClaimStatus()).state).toBe("done"), {
			timeout: 10_000,
			interval: 50,
		});
		const firstSession = sessions.find((s) => s.buyerId === first) as Login;
		expect((await myHolds(firstSession)).map((h) => [h.listingId, h.auto])).toEqual([["L1", true]]);
		await runAlarm(ev.eventId, second);
		const secondSession = sessions.find((s) => s.buyerId === second) as Login;
		expect(await myHolds(secondSession)).toEqual([]);
		expect(await quota(ev.eventId, second).autoClaimStatus()).toMatchObject({
			state: "armed",
			wakeAt: Date.parse(event.openedAt) + 3_600_000,
		});
	});
});

describe("auto-claim: at most once", () => {
	it("under alarm re-runs, concurrent and one after another, and after the buyer gives the unit back", async () => {
		const { ev, b1 } = await dueWithWishes(["L1", "L2"]);
		const stub = quota(ev.eventId, "B1");
		await Promise.all([
			runAlarm(ev.eventId, "B1"),
			runInDurableObject(stub, (instance: BuyerQuota) => instance.alarm()),
			runInDurableObject(stub, (instance: BuyerQuota) => instance.alarm()),
		]);
		await runInDurableObject(stub, (instance: BuyerQuota) => instance.alarm());
		const holds = await myHolds(b1);
		expect(holds.map((h) => h.listingId)).toEqual(["L1"]);
		// The buyer gives it back; however often the alarm runs again, auto-claim does not come back.
		expect((await cancel(b1, holds[0]?.holdId as string)).status).toBe(200);
		await runInDurableObject(stub, (instance: BuyerQuota) => instance.alarm());
		await evictDurableObject(stub);
		await runInDurableObject(stub, (instance: BuyerQuota) => instance.alarm());
		expect((await myHolds(b1)).map((h) => h.status)).toEqual(["cancelled"]);
		expect((await inventoryHolds(ev.eventId, ev.listingIds)).filter(active)).toEqual([]);
	});

	it("an injected failure after the inventory granted, before the buyer object settled: adopted, once", async () => {
		const { ev, b1 } = await dueWithWishes(["L1", "L2"]);
		const gate = await gateAt(ev.eventId, "B1", "before_settle");
		const firstRun = runAlarm(ev.eventId, "B1");
		const holdId = await gate.reached;
		await gate.fail();
		await firstRun;
		// The claim landed at the inventory; the buyer object did not hear it. It is still armed and looks
		// again: the pending row is reconciled (adopted), and nothing second is claimed.
		expect((await quota(ev.eventId, "B1").autoClaimStatus()).state).toBe("armed");
		await runInDurableObject(quota(ev.eventId, "B1"), (instance: BuyerQuota) => instance.alarm());
		expect(await quota(ev.eventId, "B1").autoClaimStatus()).toMatchObject({ state: "done", holdId });
		expect((await myHolds(b1)).map((h) => [h.holdId, h.listingId, h.auto])).toEqual([[holdId, "L1", true]]);
		expect((await inventoryHolds(ev.eventId, ev.listingIds)).filter(active).map((h) => h.holdId)).toEqual([holdId]);
		await eventuallyOrders(ev.eventId, (rows) => expect(rows.map((r) => r.holdId)).toEqual([holdId]));
	});

	it("the object evicted mid-claim (call made, answer lost): the restarted object settles it, once", async () => {
		const { ev, b1 } = await dueWithWishes(["L1", "L2"]);
		const { stub, holdId } = await evictedAt(ev.eventId, "before_settle");
		expect(await stub.autoClaimStatus()).toMatchObject({ state: "done", outcome: "granted", holdId });
		expect((await inventoryHolds(ev.eventId, ev.listingIds)).filter(active).map((h) => h.holdId)).toEqual([holdId]);
		expect((await myHolds(b1)).map((h) => h.auto)).toEqual([true]);
	});

	it("the object evicted before the inventory call: the hold id is fenced, and the retry claims once", async () => {
		const { ev } = await dueWithWishes(["L1", "L2"]);
		const { stub, holdId: lost } = await evictedAt(ev.eventId, "before_inventory");
		const status = await stub.autoClaimStatus();
		expect(status).toMatchObject({ state: "done", outcome: "granted" });
		expect(status.holdId).not.toBe(lost);
		expect((await inventoryHolds(ev.eventId, ev.listingIds)).filter(active).map((h) => h.holdId)).toEqual([
			status.holdId,
		]);
		// The lost call can never grant its hold id any more.
		expect(await listingInventoryOf(env, ev.eventId, "L1").resolve(lost)).toBeNull();
	});
});

describe("auto-claim and the buyer's own claim at the same moment (guarantee 2)", () => {
	it("auto-claim first, the buyer's claim waiting behind it: limit_reached, one unit", async () => {
		const { ev, b1 } = await dueWithWishes(["L1"]);
		const gate = await gateAt(ev.eventId, "B1", "before_inventory");
		const alarm = runAlarm(ev.eventId, "B1");
		const autoHold = await gate.reached;
		const byHand = claim(b1, "L2");
		await new Promise((r) => setTimeout(r, 50)); // the hand claim reaches the object and queues
		await gate.open();
		await alarm;
		const res = await byHand;
		expect(res.status).toBe(409);
		expect(await errorCode(res)).toBe("limit_reached");
		expect((await myHolds(b1)).map((h) => [h.holdId, h.auto])).toEqual([[autoHold, true]]);
		expect((await inventoryHolds(ev.eventId, ev.listingIds)).filter(active)).toHaveLength(1);
	});

	it("the buyer's claim first, auto-claim waiting behind it: auto-claim gives nothing, one unit", async () => {
		const { ev, b1 } = await dueWithWishes(["L1"]);
		const gate = await gateAt(ev.eventId, "B1", "before_inventory");
		const byHand = claim(b1, "L2");
		const handHold = await gate.reached;
		const alarm = runAlarm(ev.eventId, "B1");
		await new Promise((r) => setTimeout(r, 50)); // the alarm reads D1 and queues its turn
		await gate.open();
		expect((await byHand).status).toBe(201);
		await alarm;
		expect(await quota(ev.eventId, "B1").autoClaimStatus()).toMatchObject({
			state: "done",
			outcome: "already_holding",
		});
		expect((await myHolds(b1)).map((h) => [h.holdId, h.auto])).toEqual([[handHold, undefined]]);
		expect((await inventoryHolds(ev.eventId, ev.listingIds)).filter(active)).toHaveLength(1);
	});
});

describe("auto-claim run by the real alarm (latency after the due moment)", () => {
	it("at startsAt + delay under auto: every armed buyer gets a unit, never before its time", async () => {
		const buyers = 6;
		const ev = await autoEvent({ buyers, listings: buyers, startsInMs: 8_000, delaySeconds: 1 });
		const sessions = await Promise.all(ev.buyerIds.map((id) => login(ev.eventId, id)));
		// Everyone wants L1 first: one gets it, the others fall through to their next wishes.
		const rest = ev.listingIds.slice(1);
		for (const [i, s] of sessions.entries()) await setWishes(s, ["L1", ...rest.slice(i), ...rest.slice(0, i)]);
		const due = Date.parse(ev.body.startsAt) + 1_000;
		expect(Date.now()).toBeLessThan(due);
		const rows = await eventuallyOrders(
			ev.eventId,
			(r) => expect(new Set(r.map((o) => o.buyerId)).size).toBe(buyers),
			30_000,
		);
		const latencies = (rows as unknown as { createdAt: string }[]).map((o) => Date.parse(o.createdAt) - due);
		expect(Math.min(...latencies)).toBeGreaterThanOrEqual(0);
		expect(new Set(rows.map((o) => o.listingId)).size).toBe(buyers);
		latencies.sort((a, b) => a - b);
		console.log(
			`auto-claim latency after entryAt + delay (${buyers} buyers, real alarms, workerd): ` +
				`min ${latencies[0]} ms, median ${latencies[Math.floor(buyers / 2)]} ms, max ${latencies.at(-1)} ms`,
		);
	}, 60_000);

	it("the operator opens early: the alarms are re-armed and fire at the actual opening", async () => {
		const ev = await autoEvent({ buyers: 2, delaySeconds: 0 });
		const sessions = await Promise.all(ev.buyerIds.map((id) => login(ev.eventId, id)));
		for (const s of sessions) await setWishes(s, ["L1", "L2"]);
		await open(ev.eventId); // an hour before startsAt; the status route re-arms after its answer
		const { event } = await (await admin("GET", `/api/admin/events/${ev.eventId}`)).json<{
			event: { openedAt: string };
		}>();
		const rows = await eventuallyOrders(ev.eventId, (r) => expect(r).toHaveLength(2), 20_000);
		const latencies = (rows as unknown as { createdAt: string }[]).map(
			(o) => Date.parse(o.createdAt) - Date.parse(event.openedAt),
		);
		expect(Math.min(...latencies)).toBeGreaterThanOrEqual(0);
		console.log(`auto-claim latency after an early opening (re-armed, 2 buyers): ${latencies.join(", ")} ms`);
	}, 30_000);

	it("the operator opens late (paused past startsAt): nothing while paused, the units once it opens", async () => {
		const ev = await autoEvent({ buyers: 1, delaySeconds: 0, startsInMs: 3_000 });
		const b1 = await login(ev.eventId, "B1");
		await setWishes(b1, ["L1"]);
		expect((await admin("POST", `/api/admin/events/${ev.eventId}/status`, { status: "paused" })).status).toBe(200);
		// startsAt passes while paused: the alarm fires, finds the event paused, and waits.
		await vi.waitFor(
			async () => {
				const s = await quota(ev.eventId, "B1").autoClaimStatus();
				expect(s.wakeAt ?? 0).toBeGreaterThan(Date.parse(ev.body.startsAt) + 10_000);
			},
			{ timeout: 15_000, interval: 200 },
		);
		expect(await myHolds(b1)).toEqual([]);
		await open(ev.eventId);
		const { event } = await (await admin("GET", `/api/admin/events/${ev.eventId}`)).json<{
			event: { openedAt: string };
		}>();
		const [row] = await eventuallyOrders(ev.eventId, (r) => expect(r).toHaveLength(1), 20_000);
		const latency = Date.parse((row as unknown as { createdAt: string }).createdAt) - Date.parse(event.openedAt);
		expect(latency).toBeGreaterThanOrEqual(0);
		console.log(`auto-claim latency after a late opening (re-armed): ${latency} ms`);
	}, 40_000);
});
