// Schedule exploration for the claim path (protocol v2): two requests of one buyer and a staff release
// or an expiry of the unit they want, interleaved at every await point of the buyer object. Every
// schedule is enumerated (its name says it, so a failure names its schedule), run against the real
// objects through the buyer object's test-only hooks, and guarantees 1–5 of API.md are checked after
// each one; guarantee 4 (D1) once for all of them at the end.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it, vi } from "vitest";
import { buyerQuotaOf, listingInventoryOf } from "../durable-objects/addresses";
import type { BuyerClaimOutcome, BuyerQuota, ClaimPausePoint } from "../durable-objects/buyer-quota";
import type { ListingInventory } from "../durable-objects/listing-inventory";
import type { HoldRecord } from "../lib/hold-record";
import { attempt } from "./claim-gates";
import { claim, eventuallyOrders, type Login, login, seedEvent } from "./helpers";

type StaffAction = "release" | "expire";

interface Schedule {
	/** The listing of the buyer's second request (the first always wants L1, which another buyer holds). */
	second: "L1" | "L2";
	staff: StaffAction;
	/** How many of the buyer object's pause points pass before the staff action (0–4). */
	staffAfter: number;
	/**
	 * The first request's inventory call outlasts the buyer object's wait (it answers overloaded): held
	 * back before it reaches the inventory ("call") or after the inventory answered ("answer").
	 */
	slowFirst: "no" | "call" | "answer";
}

const schedules: Schedule[] = [];
for (const second of ["L1", "L2"] as const) {
	for (const staff of ["release", "expire"] as const) {
		for (let staffAfter = 0; staffAfter <= 4; staffAfter++)
			schedules.push({ second, staff, staffAfter, slowFirst: "no" });
		for (const slowFirst of ["call", "answer"] as const) {
			for (const staffAfter of [0, 2]) schedules.push({ second, staff, staffAfter, slowFirst });
		}
	}
}

const name = (s: Schedule) =>
	`second request for ${s.second}, staff ${s.staff} after ${s.staffAfter} pause point(s)${s.slowFirst === "no" ? "" : `, first ${s.slowFirst} slow`}`;

interface Pause {
	point: ClaimPausePoint;
	holdId: string;
	go: boolean;
}

const pauses = new WeakMap<BuyerQuota, Pause[]>();

/** Every pause point of this buyer object stops until the test lets it go (polling its own timer). */
async function pauseEverything(eventId: string, buyerId: string): Promise<void> {
	await runInDurableObject(buyerQuotaOf(env, eventId, buyerId), (instance: BuyerQuota) => {
		const list: Pause[] = [];
		pauses.set(instance, list);
		instance.hooks = {
			async pause(point, holdId) {
				const entry = { point, holdId, go: false };
				list.push(entry);
				while (!entry.go) await new Promise((r) => setTimeout(r, 5));
			},
		};
	});
}

/** Lets the oldest waiting pause go; false when none is waiting. */
async function letOneGo(eventId: string, buyerId: string): Promise<boolean> {
	return runInDurableObject(buyerQuotaOf(env, eventId, buyerId), (instance: BuyerQuota) => {
		const next = pauses.get(instance)?.find((p) => !p.go);
		if (next) next.go = true;
		return next !== undefined;
	});
}

async function staffAction(eventId: string, holdId: string, action: StaffAction): Promise<void> {
	const inventory = listingInventoryOf(env, eventId, "L1");
	if (action === "release") {
		expect((await inventory.release(holdId, "admin")).kind).toBe("ok");
		return;
	}
	// The hold's time is up and its alarm runs now.
	await runInDurableObject(inventory, (_: ListingInventory, state) => {
		state.storage.sql.exec("UPDATE holds SET expires_at = ? WHERE hold_id = ?", Date.now() - 1, holdId);
	});
	await runDurableObjectAlarm(inventory);
}

async function activeHolds(eventId: string, listingId: string): Promise<HoldRecord[]> {
	const snap = await listingInventoryOf(env, eventId, listingId).snapshot();
	return snap.holds.filter((h) => h.status === "held" || h.status === "confirmed");
}

async function buyerRows(eventId: string, buyerId: string) {
	return runInDurableObject(buyerQuotaOf(env, eventId, buyerId), (_: BuyerQuota, state) =>
		state.storage.sql
			.exec<{ hold_id: string; status: string }>("SELECT hold_id, status FROM reservations ORDER BY hold_id")
			.toArray(),
	);
}

const explored: string[] = [];

describe("claim schedules: two requests of one buyer and a staff release or expiry", () => {
	afterAll(async () => {
		// Guarantee 4: every hold the objects granted is in D1 exactly once, with its final status.
		for (const eventId of explored) {
			const holds = (
				await Promise.all(["L1", "L2"].map(async (l) => (await listingInventoryOf(env, eventId, l).snapshot()).holds))
			).flat();
			await eventuallyOrders(eventId, (rows) =>
				expect(rows.map((r) => `${r.holdId}:${r.status}`).sort()).toEqual(
					holds.map((h) => `${h.holdId}:${h.status}`).sort(),
				),
			);
		}
	}, 60_000);

	it.each(schedules.map((s) => [name(s), s] as const))("%s", async (_, schedule) => {
		const ev = await seedEvent({ listings: 2, buyers: 2, perBuyerLimit: 1 });
		explored.push(ev.eventId);
		const b1: Login = await login(ev.eventId, "B1");
		const b2: Login = await login(ev.eventId, "B2");
		const other = await (await claim(b2, "L1")).json<{ holdId: string }>();
		const buyer = buyerQuotaOf(env, ev.eventId, "B1");
		await pauseEverything(ev.eventId, "B1");

		const request = { leaseMs: 15_000 };
		const outcomes: (BuyerClaimOutcome | null)[] = [null, null];
		const first = buyer.claim(attempt(b1), "L1", request).then((o) => {
			outcomes[0] = o;
		});
		const second = buyer.claim(attempt(b1), schedule.second, request).then((o) => {
			outcomes[1] = o;
		});
		const done = () => outcomes[0] !== null && outcomes[1] !== null;

		let passed = 0;
		let staffDone = false;
		for (let idle = 0; !(done() && staffDone) && idle < 400; ) {
			if (!staffDone && passed === schedule.staffAfter) {
				await staffAction(ev.eventId, other.holdId, schedule.staff);
				staffDone = true;
				continue;
			}
			// The slow first call: its inventory answer is held back past the buyer object's wait.
			const holdBack =
				outcomes[0] === null &&
				((schedule.slowFirst === "call" && passed === 0) || (schedule.slowFirst === "answer" && passed === 1));
			if (!holdBack && (await letOneGo(ev.eventId, "B1"))) {
				passed += 1;
				idle = 0;
				continue;
			}
			if (done() && !staffDone) {
				passed = schedule.staffAfter; // fewer pause points than planned: the staff act now
				continue;
			}
			idle += 1;
			await new Promise((r) => setTimeout(r, 10));
			if (holdBack && idle > 300) throw new Error("the slow first call never timed out");
		}
		// Whatever is still held back (the slow call) goes on now; then everything settles.
		while (await letOneGo(ev.eventId, "B1")) await new Promise((r) => setTimeout(r, 10));
		await Promise.all([first, second]);
		expect(done()).toBe(true);

		await vi.waitFor(async () => {
			while (await letOneGo(ev.eventId, "B1")) await new Promise((r) => setTimeout(r, 5));
			expect((await buyerRows(ev.eventId, "B1")).filter((r) => r.status === "pending")).toEqual([]);
		});
		const [onL1, onL2] = await Promise.all([activeHolds(ev.eventId, "L1"), activeHolds(ev.eventId, "L2")]);
		// 1. No listing beyond its stock.
		expect(onL1.length).toBeLessThanOrEqual(1);
		expect(onL2.length).toBeLessThanOrEqual(1);
		// 2. The buyer within perBuyerLimit, and the buyer object agrees with the inventories.
		const mine = [...onL1, ...onL2].filter((h) => h.buyerId === "B1");
		expect(mine.length).toBeLessThanOrEqual(1);
		const counted = (await buyerRows(ev.eventId, "B1")).filter((r) => r.status === "held" || r.status === "confirmed");
		expect(counted.map((r) => r.hold_id)).toEqual(mine.map((h) => h.holdId));
		// 3. Nothing stranded: L1 was freed by staff, and B1 asked for it after that in every schedule
		// where its request reached the inventory after the free (otherwise another buyer may take it).
		const gotL1 = onL1.some((h) => h.buyerId === "B1");
		const granted = outcomes.filter((o) => o?.kind === "held");
		expect(granted.length).toBe(mine.length > 0 ? granted.length : 0);
		if (schedule.staffAfter === 0 && schedule.slowFirst === "no") expect(gotL1).toBe(true);
		// 5. The other buyer's hold ended exactly once, and its quota came back.
		const ended = (await listingInventoryOf(env, ev.eventId, "L1").snapshot()).holds.find(
			(h) => h.holdId === other.holdId,
		);
		expect(ended).toMatchObject({ status: schedule.staff === "release" ? "released" : "expired", version: 2 });
		await vi.waitFor(async () =>
			expect(await buyerRows(ev.eventId, "B2")).toEqual([
				{ hold_id: other.holdId, status: schedule.staff === "release" ? "released" : "expired" },
			]),
		);
	});
});
