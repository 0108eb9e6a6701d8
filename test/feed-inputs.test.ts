// The live feed's K inputs (docs/LIVE.md "Scale", docs/SCALE.md fix 3): listings push to the input of
// their id (K = 4 in the tests, vitest.config.ts), each input forwards its numbered batches to every
// shard and to the hub. The schedules that would break it: changes on several inputs at once, the same
// changes twice and out of order, an input evicted between a change and its batch, an input that lost
// its storage and counts from 1 again, and a unit held and released within one flush on one input
// while another input moves. Every test goes through the real objects.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { dashboardHubOf, feedInputOf, hubShardOf } from "../durable-objects/addresses";
import type { FeedInput } from "../durable-objects/feed-input";
import { liveConfig } from "../durable-objects/live-config";
import { inputOfListing } from "../lib/feed-partition";
import type { HoldChange } from "../lib/hold-record";
import { bearer, claim, eventuallyOrders, login, seedEvent } from "./helpers";
import { hears, type Live, lastHeard, openLive, openStaff, shardLoads } from "./live-kit";

const K = liveConfig(env).feedInputs;

/** Listings of `ids` grouped by their input. */
const byInput = (ids: string[]) => Map.groupBy(ids, (id) => inputOfListing(id, K));

/** Pushes `changes` straight to the input of their (one) listing, as the fast path does. */
function push(eventId: string, changes: HoldChange[]): Promise<void> {
	const k = inputOfListing(changes[0]?.listingId ?? "", K);
	return feedInputOf(env, eventId, k).applyHolds(eventId, k, changes);
}

/** The shard that holds `live`'s socket (the only socket of its event). */
async function onlyShard(eventId: string) {
	const [idx] = [...(await shardLoads(eventId)).keys()];
	if (idx === undefined) throw new Error("the socket is on no shard");
	return hubShardOf(env, eventId, idx);
}

const snapshotStats = (live: Live) => live.frames.find((f) => f.type === "snapshot")?.stats;

describe("feed inputs", () => {
	it("K > 1 here, and the test listings spread over several inputs", () => {
		expect(K).toBeGreaterThan(1);
		expect(byInput(["L1", "L2", "L3", "L4", "L5", "L6", "L7", "L8"]).size).toBe(Math.min(K, 4));
	});

	it("claims on listings of every input, at once: every change reaches a buyer's and a staff socket, counters summed", async () => {
		const ev = await seedEvent({ listings: 8, buyers: 9 });
		expect(byInput(ev.listingIds).size).toBeGreaterThan(1);
		const sessions = await Promise.all(ev.buyerIds.map((id) => login(ev.eventId, id)));
		const watcher = sessions.at(-1);
		if (!watcher) throw new Error("no buyers");
		const buyer = await openLive(ev.eventId, bearer(watcher));
		const staff = await openStaff(ev.eventId);
		const before = { buyer: buyer.frames.length, staff: staff.frames.length };
		const answers = await Promise.all(ev.listingIds.map((id, i) => claim(sessions[i] ?? watcher, id)));
		expect(answers.map((r) => r.status)).toEqual(ev.listingIds.map(() => 201));
		const answered = Date.now();
		for (const live of [buyer, staff]) {
			const frames = await Promise.all(ev.listingIds.map((id) => live.waitFor(hears(id, "held"), 2_000)));
			expect(Math.max(...frames.map((f) => f.receivedAt)) - answered).toBeLessThan(1_000);
			// Four inputs' batches, gathered: at most one frame per flush interval to a socket.
			const batches = live.frames
				.slice(before[live === buyer ? "buyer" : "staff"])
				.filter((f) => f.type === "listings");
			const gaps = batches.slice(1).map((f, i) => f.receivedAt - (batches[i]?.receivedAt ?? 0));
			for (const g of gaps) expect(g).toBeGreaterThanOrEqual(liveConfig(env).flushMs - 150);
		}
		// The counters are the sum of every input's: 8 held, none left.
		const held = { sold: 0, held: 8, available: 0 };
		await staff.waitFor((f) => f.type === "stats" && f.held === 8 && f.available === 0, 3_000);
		expect((await dashboardHubOf(env, ev.eventId).snapshot()).stats).toMatchObject(held);
		const late = await openLive(ev.eventId, bearer(watcher));
		expect(snapshotStats(late)).toEqual(held);
		for (const l of [buyer, staff, late]) l.ws.close();
	});

	it("the same hold changes twice and out of order, on two inputs, change nothing", async () => {
		const ev = await seedEvent({ listings: 8, buyers: 1 });
		const [x, y] = [...byInput(ev.listingIds).values()].map((ids) => ids[0]);
		if (!x || !y) throw new Error("no two inputs");
		const live = await openLive(ev.eventId, bearer(await login(ev.eventId, "B1")));
		const hx = { holdId: "hx", listingId: x, status: "held" as const, version: 1 };
		const hy = { holdId: "hy", listingId: y, status: "held" as const, version: 1 };
		// The newest first (confirmed, released), then the older ones, twice, on both inputs at once.
		await Promise.all([
			push(ev.eventId, [{ ...hx, status: "confirmed", version: 2 }]),
			push(ev.eventId, [{ ...hy, status: "released", version: 2 }]),
		]);
		await Promise.all([push(ev.eventId, [hx, hx]), push(ev.eventId, [hy]), push(ev.eventId, [hx])]);
		await live.waitFor(hears(x, "sold"), 2_000);
		// Let every batch of the first moments (the inputs' first read of D1 included) arrive.
		await new Promise((r) => setTimeout(r, liveConfig(env).flushMs + 300));
		const settled = live.frames.length;
		await Promise.all([push(ev.eventId, [hx]), push(ev.eventId, [hy, hy]), push(ev.eventId, [hx, hx])]);
		await new Promise((r) => setTimeout(r, liveConfig(env).flushMs + 300));
		// Nothing new to say: no frame, and the state is the newest versions'.
		expect(live.frames.length).toBe(settled);
		expect(lastHeard(live, x)).toEqual({ available: 0, status: "sold" });
		expect(lastHeard(live, y)).toEqual({ available: 1, status: "available" });
		expect((await dashboardHubOf(env, ev.eventId).snapshot()).stats).toMatchObject({ sold: 1, held: 0, available: 7 });
		live.ws.close();
	});

	it("an input evicted between a change and its batch sends it from its next incarnation, numbered on", async () => {
		const ev = await seedEvent({ listings: 8, buyers: 1 });
		const [x, z] = [...byInput(ev.listingIds).values()].find((ids) => ids.length >= 2) ?? [];
		if (!x || !z) throw new Error("no input with two listings");
		const k = inputOfListing(x, K);
		const live = await openLive(ev.eventId, bearer(await login(ev.eventId, "B1")));
		const shard = await onlyShard(ev.eventId);
		await push(ev.eventId, [{ holdId: "h1", listingId: z, status: "held", version: 1 }]);
		await live.waitFor(hears(z, "held"), 2_000);
		const seqBefore = (await shard.state()).inputs[k]?.seq ?? 0;
		// A change stored and its batch not yet sent (a batch leaves 75 ms after it) when the incarnation
		// ends: written as applyHolds writes it, then the object is evicted before any timer could run.
		const input = feedInputOf(env, ev.eventId, k);
		await runInDurableObject(input, (_: FeedInput, state) => {
			state.storage.sql.exec("INSERT INTO holds (hold_id, listing_id, status, version) VALUES ('h2', ?, 'held', 1)", x);
			state.storage.sql.exec("UPDATE listings SET available = 0, status = 'held', unsent = 1 WHERE id = ?", x);
		});
		await evictDurableObject(input);
		await new Promise((r) => setTimeout(r, liveConfig(env).flushMs + 300));
		expect(live.frames.some(hears(x, "held"))).toBe(false);
		// Any request wakes the next incarnation, which sends what its predecessor never sent: here the
		// hub joining every input (a staff page's snapshot), not a push, which would carry a change.
		await dashboardHubOf(env, ev.eventId).snapshot();
		await live.waitFor(hears(x, "held"), 2_000);
		const after = (await shard.state()).inputs[k];
		// Numbered on from the stored number: no gap, and nothing the shard would take for old.
		expect(after?.seq).toBe(seqBefore + 1);
		live.ws.close();
	});

	it("an input that lost its storage counts from 1 in a new epoch: the shard takes its state whole", async () => {
		const ev = await seedEvent({ listings: 8, buyers: 4 });
		const [x, z] = [...byInput(ev.listingIds).values()].find((ids) => ids.length >= 2) ?? [];
		if (!x || !z) throw new Error("no input with two listings");
		const k = inputOfListing(x, K);
		const [b1, b2, b3] = await Promise.all(["B1", "B2", "B3"].map((id) => login(ev.eventId, id)));
		if (!b1 || !b2 || !b3) throw new Error("no buyers");
		const live = await openLive(ev.eventId, bearer(b3));
		const shard = await onlyShard(ev.eventId);
		// Several batches on input k, so the shard's numbers for it are well past 1.
		for (let v = 1; v <= 4; v++) {
			await push(ev.eventId, [{ holdId: "noise", listingId: z, status: v % 2 ? "held" : "released", version: v }]);
			await new Promise((r) => setTimeout(r, 150));
		}
		expect((await claim(b1, x)).status).toBe(201);
		await live.waitFor(hears(x, "held"), 2_000);
		await eventuallyOrders(ev.eventId, (rows) => expect(rows).toHaveLength(1));
		const old = (await shard.state()).inputs[k];
		expect(old?.seq).toBeGreaterThan(2);
		const input = feedInputOf(env, ev.eventId, k);
		await runInDurableObject(input, (_: FeedInput, state) => {
			for (const table of ["meta", "listings", "holds"]) state.storage.sql.exec(`DELETE FROM ${table}`);
		});
		await evictDurableObject(input);
		// Its first batch is number 1 again (a new epoch), from D1's truth: z's noise is gone (never in D1).
		expect((await claim(b2, z)).status).toBe(201);
		await live.waitFor(hears(z, "held"), 2_000);
		await vi.waitFor(
			async () => {
				const now = (await shard.state()).inputs[k];
				expect(now?.epoch).not.toBe(old?.epoch);
				expect(lastHeard(live, x)).toEqual({ available: 0, status: "held" });
				expect(lastHeard(live, z)).toEqual({ available: 0, status: "held" });
			},
			{ timeout: 3_000 },
		);
		live.ws.close();
	});

	it("held and released within one flush on one input while another input moves: both ends are heard", async () => {
		const ev = await seedEvent({ listings: 8, buyers: 1 });
		const [x, y] = [...byInput(ev.listingIds).values()].map((ids) => ids[0]);
		if (!x || !y) throw new Error("no two inputs");
		const live = await openLive(ev.eventId, bearer(await login(ev.eventId, "B1")));
		const staff = await openStaff(ev.eventId);
		await Promise.all([
			push(ev.eventId, [{ holdId: "hx", listingId: x, status: "held", version: 1 }]).then(() =>
				push(ev.eventId, [{ holdId: "hx", listingId: x, status: "released", version: 2 }]),
			),
			push(ev.eventId, [{ holdId: "hy", listingId: y, status: "held", version: 1 }]),
		]);
		for (const l of [live, staff]) {
			await l.waitFor(hears(y, "held"), 2_000);
			// x ends where it started; the feed still says so (a buyer who heard "held" hears the end).
			await l.waitFor(hears(x, "available"), 2_000);
			expect(lastHeard(l, x)).toEqual({ available: 1, status: "available" });
		}
		expect((await dashboardHubOf(env, ev.eventId).snapshot()).stats).toMatchObject({ sold: 0, held: 1, available: 7 });
		live.ws.close();
		staff.ws.close();
	});
});
