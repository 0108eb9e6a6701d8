// Fix 6 of docs/SCALE.md (`firstWaveBudget`, worker/claim/first-wave-budget.ts): an isolate forwards
// at most one claim per unit per window, the rest get 503 overloaded with Retry-After 1 — and no
// refusal ever strands a unit (guarantee 3). The window and its phase are forced by the test hook.
import { afterEach, describe, expect, it } from "vitest";
import { forwardedClaimsForTests } from "../worker/claim/claim-flow";
import { forceFirstWaveForTests, takeForward } from "../worker/claim/first-wave-budget";
import { claim, errorCode, eventuallyOrders, type Login, login, seedEvent } from "./helpers";

afterEach(() => forceFirstWaveForTests({}));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the first-wave budget (forced schedule)", () => {
	it("starts each isolate's windows at a random phase after the opening, one forward per window", () => {
		forceFirstWaveForTests({ windowMs: 1_000, random: () => 0.25 });
		const opened = 10_000;
		// The first window of this unit opens 250 ms after the opening: before it, nothing goes on.
		expect(takeForward("e:L1", opened, 1_000, opened + 249)).toBeNull();
		expect(takeForward("e:L1", opened, 1_000, opened + 250)).not.toBeNull();
		expect(takeForward("e:L1", opened, 1_000, opened + 900)).toBeNull();
		expect(takeForward("e:L1", opened, 1_000, opened + 1_249)).toBeNull();
		expect(takeForward("e:L1", opened, 1_000, opened + 1_250)).not.toBeNull();
		// Long after the opening a quiet unit's first claim goes on at once.
		expect(takeForward("e:L2", opened, 1_000, opened + 3_600_000)).not.toBeNull();
	});

	it("refuses the rest of a window 503 overloaded with Retry-After 1, changing nothing", async () => {
		const ev = await seedEvent({ listings: 1, stock: 3, buyers: 3 });
		const [b1, b2, b3] = await Promise.all(["B1", "B2", "B3"].map((b) => login(ev.eventId, b)));
		if (!b1 || !b2 || !b3) throw new Error("logins");
		forceFirstWaveForTests({ windowMs: 60_000, random: () => 0 });
		expect((await claim(b1, "L1")).status).toBe(201);
		const before = forwardedClaimsForTests();
		for (const b of [b2, b3]) {
			const res = await claim(b, "L1");
			expect(res.status).toBe(503);
			expect(res.headers.get("retry-after")).toBe("1");
			expect(await errorCode(res)).toBe("overloaded");
		}
		expect(forwardedClaimsForTests()).toBe(before);
		// Nothing was touched: only B1's order exists.
		await eventuallyOrders(ev.eventId, (rows) => expect(rows.map((r) => r.buyerId)).toEqual(["B1"]));
	});

	it("gives the window back when its forward was refused for the buyer's own reason (no stranded unit)", async () => {
		const ev = await seedEvent({ listings: 2, stock: 1, buyers: 2, perBuyerLimit: 1 });
		const [b1, b2] = await Promise.all(["B1", "B2"].map((b) => login(ev.eventId, b)));
		if (!b1 || !b2) throw new Error("logins");
		expect((await claim(b1, "L2")).status).toBe(201);
		forceFirstWaveForTests({ windowMs: 60_000, random: () => 0 });
		// B1 is at its limit: its claim takes L1's one forward of this minute and is refused 409.
		const refused = await claim(b1, "L1");
		expect(refused.status).toBe(409);
		expect(await errorCode(refused)).toBe("limit_reached");
		// Were the window kept, L1 would refuse everyone for a minute though nobody holds it.
		expect((await claim(b2, "L1")).status).toBe(201);
	});

	it("sells every unit to a crowd that retries after Retry-After, and never starves under steady clicks", async () => {
		const ev = await seedEvent({ listings: 1, stock: 3, buyers: 6 });
		const buyers = await Promise.all(ev.buyerIds.map((b) => login(ev.eventId, b)));
		const windowMs = 300;
		forceFirstWaveForTests({ windowMs, random: () => 0.5 });
		const started = Date.now();
		const outcomes = new Map<string, number[]>();
		// Each buyer clicks every 150 ms (two clicks per window) until answered 201 or 409.
		await Promise.all(
			buyers.map(async (b: Login) => {
				const seen: number[] = [];
				outcomes.set(b.buyerId, seen);
				for (let i = 0; i < 14; i++) {
					const res = await claim(b, "L1");
					seen.push(res.status);
					if (res.status !== 503) return;
					await sleep(windowMs / 2);
				}
			}),
		);
		const statuses = [...outcomes.values()].map((s) => s.at(-1));
		expect(statuses.filter((s) => s === 201)).toHaveLength(3);
		expect(statuses.filter((s) => s === 409)).toHaveLength(3);
		// One forward per window at most: three grants need at least two more windows after the first.
		expect(Date.now() - started).toBeGreaterThanOrEqual(2 * windowMs - 50);
		await eventuallyOrders(ev.eventId, (rows) => expect(rows).toHaveLength(3));
	});
});
