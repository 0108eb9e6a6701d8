// The sharded, coalesced live feed (issue 14, docs/LIVE.md "Scale"): buyer sockets spread over
// HubShards of at most HUB_SHARD_SOCKETS (4 in the tests, vitest.config.ts), every shard hears every
// change within a second, a burst is one frame per v2 socket, a v1 socket still gets API.md's frame per
// change, a shard that lost its state rebuilds it, and what must reach every buyer reaches every shard.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { dashboardHubOf, feedInputOf, hubShardOf } from "../durable-objects/addresses";
import type { FeedInput } from "../durable-objects/feed-input";
import type { HubShard } from "../durable-objects/hub-shard";
import { COUNTS_WINDOW_MS, liveConfig } from "../durable-objects/live-config";
import { CLOSE } from "../durable-objects/live-sockets";
import { inputOfListing } from "../lib/feed-partition";
import { admin, bearer, claim, login, seedEvent } from "./helpers";
import { failJoins, hears, type Live, openLive, shardLoads } from "./live-kit";

const N = liveConfig(env).shardSockets;
const open = openLive;

describe("shards", () => {
	it("spreads buyer sockets over shards of at most N, and a claim reaches a socket on every shard within 1 s", async () => {
		const ev = await seedEvent({ listings: 2, buyers: 12 });
		const sessions = await Promise.all(ev.buyerIds.map((id) => login(ev.eventId, id)));
		const sockets: Live[] = [];
		// Two sockets per buyer: 24 sockets, more than the spread's room, so overflow shards fill too.
		for (const s of sessions) for (let i = 0; i < 2; i++) sockets.push(await open(ev.eventId, bearer(s)));
		const loads = await shardLoads(ev.eventId);
		console.log(`shard loads (N = ${N}): ${JSON.stringify([...loads])}`);
		expect([...loads.values()].every((n) => n <= N)).toBe(true);
		expect([...loads.values()].reduce((a, b) => a + b, 0)).toBe(sockets.length);
		expect(loads.size).toBeGreaterThanOrEqual(Math.ceil(sockets.length / N));
		expect(await dashboardHubOf(env, ev.eventId).connections()).toEqual({ staff: 0, buyer: sockets.length });

		const b1 = sessions[0];
		if (!b1) throw new Error("no buyer");
		const start = Date.now();
		expect((await claim(b1, "L1")).status).toBe(201);
		// The change is committed before the claim is answered: from the answer on, it has a second.
		const answered = Date.now();
		const frames = await Promise.all(sockets.map((s) => s.waitFor(hears("L1", "held"), 2_000)));
		const last = Math.max(...frames.map((f) => f.receivedAt));
		console.log(
			`claim sent → last of ${sockets.length} sockets on ${loads.size} shards: ${last - start} ms (answer → last: ${last - answered} ms)`,
		);
		expect(last - answered).toBeLessThan(1_000);
		// Staff stats count the buyers on every shard.
		await vi.waitFor(async () => expect((await dashboardHubOf(env, ev.eventId).snapshot()).stats.online).toBe(24), {
			timeout: 3_000,
		});
		for (const s of sockets) s.ws.close();
	});

	it("a batch that ends where the shard's copy stands still goes out (held and released within one flush)", async () => {
		// The hub sends only what changed since its last batch. A unit held and released again before the
		// hub's flush reaches the shard as "available", which is what the shard's copy already says; a
		// buyer who heard "held" from its claim's answer must still hear the end (a shard that compared
		// with its copy sent nothing, and the buyer page kept saying 已为您锁定).
		const ev = await seedEvent({ listings: 2, buyers: 2 });
		const watcher = await open(ev.eventId, bearer(await login(ev.eventId, "B2")));
		const [idx] = [...(await shardLoads(ev.eventId)).keys()];
		if (idx === undefined) throw new Error("the socket is on no shard");
		const stats = { sold: 0, held: 0, available: 2 };
		const before = watcher.frames.length;
		const shard = hubShardOf(env, ev.eventId, idx);
		const input = inputOfListing("L1", liveConfig(env).feedInputs);
		const known = (await shard.state()).inputs[input];
		if (!known) throw new Error("the shard never joined L1's input");
		await shard.deliver(ev.eventId, idx, {
			input,
			epoch: known.epoch,
			seq: known.seq + 1,
			changes: [{ id: "L1", available: 1, status: "available" }],
			stats,
		});
		await watcher.waitFor((f) => watcher.frames.indexOf(f) >= before && hears("L1", "available")(f), 1_000);
		watcher.ws.close();
	});

	it("a shard that lost its state (evicted, storage wiped) rebuilds its snapshot from the inputs", async () => {
		const ev = await seedEvent({ listings: 3, buyers: 2 });
		const b1 = await login(ev.eventId, "B1");
		const b2 = await login(ev.eventId, "B2");
		const first = await open(ev.eventId, bearer(b2));
		const [idx] = [...(await shardLoads(ev.eventId)).keys()];
		if (idx === undefined) throw new Error("no shard");
		const shard = hubShardOf(env, ev.eventId, idx);
		await runInDurableObject(shard, (_: HubShard, state) => {
			state.storage.sql.exec("DELETE FROM feed_listings");
			state.storage.sql.exec("DELETE FROM feed_inputs");
		});
		first.ws.close();
		await evictDurableObject(shard);
		expect((await claim(b1, "L2")).status).toBe(201);
		const again = await open(ev.eventId, bearer(b2));
		const snap = again.frames.find((f) => f.type === "snapshot");
		expect(snap?.listings).toEqual([
			{ id: "L1", available: 1, status: "available" },
			{ id: "L2", available: 0, status: "held" },
			{ id: "L3", available: 1, status: "available" },
		]);
		again.ws.close();
	});

	it("a shard that missed one input's batch notices the gap at that input's next batch and re-joins that input only", async () => {
		const K = liveConfig(env).feedInputs;
		const ev = await seedEvent({ listings: 8, buyers: 3 });
		// Two listings of one input (a, b) and one of another (other).
		const byInput = Map.groupBy(ev.listingIds, (id) => inputOfListing(id, K));
		const [a, b] = [...byInput.values()].find((ids) => ids.length >= 2) ?? [];
		const input = a === undefined ? -1 : inputOfListing(a, K);
		const other = ev.listingIds.find((id) => inputOfListing(id, K) !== input);
		if (!a || !b || !other) throw new Error("no two listings on one input and one on another");
		const [b1, b2, b3] = await Promise.all(["B1", "B2", "B3"].map((id) => login(ev.eventId, id)));
		if (!b1 || !b2 || !b3) throw new Error("no buyers");
		const live = await open(ev.eventId, bearer(b3));
		const [idx] = [...(await shardLoads(ev.eventId)).keys()];
		if (idx === undefined) throw new Error("no shard");
		const shard = hubShardOf(env, ev.eventId, idx);
		// Let the join's moments pass (the socket count to the hub, anything the inputs had to send).
		await new Promise((r) => setTimeout(r, 800));
		// The input leaves the shard out of one batch (as a forward lost on the way would).
		const feed = feedInputOf(env, ev.eventId, input);
		const subscribers = (sql: string) =>
			runInDurableObject(feed, (_: FeedInput, state) => state.storage.sql.exec(sql, idx));
		await subscribers("DELETE FROM subscribers WHERE idx = ?");
		// Meanwhile the shard's copy of another input's listing goes wrong: only a join of that other
		// input would put it right, so it stays wrong if the shard re-joins the one input it must.
		await runInDurableObject(shard, (_: HubShard, state) =>
			state.storage.sql.exec("UPDATE feed_listings SET status = 'sold', available = 0 WHERE id = ?", other),
		);
		expect((await claim(b1, a)).status).toBe(201);
		await new Promise((r) => setTimeout(r, 300));
		expect(live.frames.some(hears(a, "held"))).toBe(false);
		await subscribers("INSERT INTO subscribers (idx) VALUES (?) ON CONFLICT DO NOTHING");
		expect((await claim(b2, b)).status).toBe(201);
		await live.waitFor(hears(b, "held"), 2_000);
		await live.waitFor(hears(a, "held"), 2_000);
		const copy = await shard.state();
		expect(copy.listings.find((l) => l.id === a)).toEqual({ id: a, available: 0, status: "held" });
		expect(copy.listings.find((l) => l.id === other)).toEqual({ id: other, available: 0, status: "sold" });
		live.ws.close();
	});
});

describe("a re-join that fails", () => {
	it("keeps the gap until a join succeeds, and is tried again on a quiet feed", async () => {
		const K = liveConfig(env).feedInputs;
		const ev = await seedEvent({ listings: 12, buyers: 4 });
		// Three listings of one input.
		const [a, b, c] =
			[...Map.groupBy(ev.listingIds, (id) => inputOfListing(id, K)).values()].find((ids) => ids.length >= 3) ?? [];
		if (!a || !b || !c) throw new Error("no three listings on one input");
		const input = inputOfListing(a, K);
		const [b1, b2, b3, b4] = await Promise.all(["B1", "B2", "B3", "B4"].map((id) => login(ev.eventId, id)));
		if (!b1 || !b2 || !b3 || !b4) throw new Error("no buyers");
		const live = await open(ev.eventId, bearer(b4));
		const [idx] = [...(await shardLoads(ev.eventId)).keys()];
		if (idx === undefined) throw new Error("no shard");
		const shard = hubShardOf(env, ev.eventId, idx);
		await new Promise((r) => setTimeout(r, 800));
		const before = (await shard.state()).inputs[input]?.seq ?? -1;
		// The shard misses the batch that holds a (left out of the input's subscribers for it)…
		const feed = feedInputOf(env, ev.eventId, input);
		const subscribers = (sql: string) =>
			runInDurableObject(feed, (_: FeedInput, state) => state.storage.sql.exec(sql, idx));
		await subscribers("DELETE FROM subscribers WHERE idx = ?");
		expect((await claim(b1, a)).status).toBe(201);
		await new Promise((r) => setTimeout(r, 300));
		await subscribers("INSERT INTO subscribers (idx) VALUES (?) ON CONFLICT DO NOTHING");
		// …and cannot reach the input to re-join while the next two batches show it the gap.
		const joins = await failJoins(shard);
		expect((await claim(b2, b)).status).toBe(201);
		await live.waitFor(hears(b, "held"), 2_000);
		expect((await claim(b3, c)).status).toBe(201);
		await live.waitFor(hears(c, "held"), 2_000);
		expect(joins.attempts).toBeGreaterThan(0);
		expect(live.frames.some(hears(a, "held"))).toBe(false);
		// The copy is not whole: its number for that input stays where it was before the lost batch.
		expect((await shard.state()).inputs[input]?.seq).toBe(before);
		// The input is reachable again; nothing more happens on the feed: a retry puts the copy right.
		await joins.restore();
		await live.waitFor(hears(a, "held"), 5_000);
		expect((await shard.state()).listings.find((l) => l.id === a)).toEqual({ id: a, available: 0, status: "held" });
		live.ws.close();
	});
});

describe("coalescing", () => {
	it.each([20, 100])(
		"K = %i changes in one interval: one listings frame of K changes per v2 socket; a v1 socket gets K listing frames",
		async (K) => {
			const ev = await seedEvent({ listings: K + 1, buyers: 2 });
			const b1 = await login(ev.eventId, "B1");
			const b2 = await login(ev.eventId, "B2");
			const v2 = await open(ev.eventId, bearer(b1));
			const v1 = await open(ev.eventId, bearer(b2), "");
			const hub = dashboardHubOf(env, ev.eventId);
			const extra = ev.listingIds[K] as string;
			// Every listing of the burst on some input: K inputs' batches still make one frame per socket.
			const holds = ev.listingIds.slice(0, K).map((listingId, i) => ({
				holdId: `h${i}`,
				listingId,
				status: "held" as const,
				version: 1,
			}));
			// A frame just went out (a change to a listing outside the K): the hub's next one may go no sooner
			// than one interval later, so a burst that takes longer than the quiet-spell delay (a loaded
			// machine) still lands in one interval, as a burst at the opening does on a busy feed.
			await hub.applyHolds(ev.eventId, [{ holdId: "hx", listingId: extra, status: "held", version: 1 }]);
			await vi.waitFor(() => expect(v2.frames.some(hears(extra, "held"))).toBe(true), { timeout: 2_000 });
			await vi.waitFor(() => expect(v1.frames.some(hears(extra, "held"))).toBe(true), { timeout: 2_000 });
			const before = { v1: [v1.frames.length, v1.bytes], v2: [v2.frames.length, v2.bytes] };
			// K changes arrive one RPC each, as K listing objects would push them, within one interval.
			const burstAt = Date.now();
			await Promise.all(holds.map((h) => hub.applyHolds(ev.eventId, [h])));
			const burstMs = Date.now() - burstAt;
			expect(burstMs, "the burst itself took longer than an interval").toBeLessThan(liveConfig(env).flushMs);
			// Only what came after the priming frame counts.
			const burstV1 = () => v1.frames.slice(before.v1[0]);
			const burstV2 = () => v2.frames.slice(before.v2[0]);
			await vi.waitFor(() => expect(burstV1().filter((f) => f.type === "listing")).toHaveLength(K), { timeout: 2_000 });
			await vi.waitFor(() => expect(burstV2().filter((f) => f.type === "listings")).toHaveLength(1), {
				timeout: 2_000,
			});
			await new Promise((r) => setTimeout(r, liveConfig(env).flushMs + 200));
			const batched = burstV2().filter((f) => f.type === "listings");
			expect(batched).toHaveLength(1);
			expect(batched[0]?.changes).toHaveLength(K);
			expect(v2.frames.some((f) => f.type === "listing")).toBe(false);
			expect(v1.frames.some((f) => f.type === "listings")).toBe(false);
			expect(burstV1().filter((f) => f.type === "listing")).toHaveLength(K);
			expect(burstV1().filter((f) => f.type === "listing")[0]).toEqual({
				type: "listing",
				id: "L1",
				available: 0,
				status: "held",
				receivedAt: expect.any(Number),
			});
			const v1Cost = [v1.frames.length - (before.v1[0] ?? 0), v1.bytes - (before.v1[1] ?? 0)];
			const v2Cost = [v2.frames.length - (before.v2[0] ?? 0), v2.bytes - (before.v2[1] ?? 0)];
			console.log(
				`burst of ${K} changes, per socket: v1 (as before) ${v1Cost[0]} frames ${v1Cost[1]} bytes; v2 ${v2Cost[0]} frame ${v2Cost[1]} bytes`,
			);
			v1.ws.close();
			v2.ws.close();
		},
	);

	it("a steady stream of changes: at most one frame per flush interval per socket, each change within 1 s", async () => {
		const ev = await seedEvent({ listings: 12, buyers: 1 });
		const live = await open(ev.eventId, bearer(await login(ev.eventId, "B1")));
		const hub = dashboardHubOf(env, ev.eventId);
		const sentAt = new Map<string, number>();
		for (const [i, listingId] of ev.listingIds.entries()) {
			sentAt.set(listingId, Date.now());
			await hub.applyHolds(ev.eventId, [{ holdId: `h${i}`, listingId, status: "held", version: 1 }]);
			await new Promise((r) => setTimeout(r, 150));
		}
		await live.waitFor(hears("L12", "held"), 2_000);
		const frames = live.frames.filter((f) => f.type === "listings");
		const gaps = frames.slice(1).map((f, i) => f.receivedAt - (frames[i]?.receivedAt ?? 0));
		const { flushMs } = liveConfig(env);
		console.log(`12 changes 150 ms apart → ${frames.length} frames, gaps ${gaps.join(", ")} ms (interval ${flushMs})`);
		expect(frames.length).toBeLessThanOrEqual(Math.ceil((12 * 150) / flushMs) + 1);
		// Gaps are measured where the frames arrive, which a busy machine delays by varying amounts.
		for (const g of gaps) expect(g).toBeGreaterThanOrEqual(flushMs - 150);
		for (const f of frames) {
			for (const c of f.changes as { id: string }[]) {
				expect(f.receivedAt - (sentAt.get(c.id) ?? 0)).toBeLessThan(1_000);
			}
		}
		live.ws.close();
	});
});

describe("claim counts (per shard, every 2 s)", () => {
	it("a shard sums what isolates report and passes it on to the hub at most once per window", async () => {
		const ev = await seedEvent({ buyers: 1 });
		const hub = dashboardHubOf(env, ev.eventId);
		const shard = hubShardOf(env, ev.eventId, 0);
		// 50 isolates report within a moment: the first passes at once, the other 49 together a window later.
		for (let i = 0; i < 50; i++) await shard.recordClaims(ev.eventId, 0, { granted: 1, rejected: { sold_out: 2 } });
		await new Promise((r) => setTimeout(r, 300));
		expect((await hub.snapshot()).stats.rejected).toEqual({ sold_out: 2 });
		await vi.waitFor(async () => expect((await hub.snapshot()).stats.rejected).toEqual({ sold_out: 100 }), {
			timeout: COUNTS_WINDOW_MS + 1_000,
		});
	});

	it("a claim's outcome reaches the staff's stats through the shard", async () => {
		const ev = await seedEvent({ listings: 1, buyers: 2 });
		const b1 = await login(ev.eventId, "B1");
		const b2 = await login(ev.eventId, "B2");
		expect((await claim(b1, "L1")).status).toBe(201);
		expect((await claim(b2, "L1")).status).toBe(409);
		await vi.waitFor(
			async () => expect((await dashboardHubOf(env, ev.eventId).snapshot()).stats.rejected).toEqual({ sold_out: 1 }),
			{ timeout: 2 * COUNTS_WINDOW_MS + 1_000 },
		);
	});
});

describe("reaching every shard", () => {
	it("a newer login closes the buyer's sockets on every shard; other buyers' stay open", async () => {
		const ev = await seedEvent({ buyers: 2 });
		const old = await login(ev.eventId, "B1");
		const other = await login(ev.eventId, "B2");
		const mine: Live[] = [];
		for (let i = 0; i < N + 2; i++) mine.push(await open(ev.eventId, bearer(old)));
		const theirs = await open(ev.eventId, bearer(other));
		expect((await shardLoads(ev.eventId)).size).toBeGreaterThanOrEqual(2);
		await login(ev.eventId, "B1");
		const timeout = new Promise<number[]>((resolve) => setTimeout(() => resolve([]), 3_000));
		const codes = await Promise.race([Promise.all(mine.map((l) => l.closed)), timeout]);
		expect(codes).toHaveLength(mine.length);
		expect(codes.every((c) => c === CLOSE.policy)).toBe(true);
		await new Promise((r) => setTimeout(r, 200));
		expect(await dashboardHubOf(env, ev.eventId).connections()).toEqual({ staff: 0, buyer: 1 });
		theirs.ws.close();
	});

	it("buyerLiveOff closes buyer sockets on every shard", async () => {
		const ev = await seedEvent({ buyers: 3 });
		const sockets: Live[] = [];
		for (const id of ev.buyerIds) {
			const s = await login(ev.eventId, id);
			for (let i = 0; i < 3; i++) sockets.push(await open(ev.eventId, bearer(s)));
		}
		expect((await shardLoads(ev.eventId)).size).toBeGreaterThanOrEqual(3);
		try {
			expect((await admin("PUT", `/api/admin/events/${ev.eventId}/flags`, { buyerLiveOff: true })).status).toBe(200);
			expect(await Promise.all(sockets.map((l) => l.closed))).toEqual(sockets.map(() => 1013));
		} finally {
			expect((await admin("PUT", `/api/admin/events/${ev.eventId}/flags`, { buyerLiveOff: false })).status).toBe(200);
		}
	});

	it("broadcastToBuyers reaches every buyer socket on every shard, and no staff socket", async () => {
		const ev = await seedEvent({ buyers: 3 });
		const sockets: Live[] = [];
		for (const id of ev.buyerIds) {
			const s = await login(ev.eventId, id);
			for (let i = 0; i < 3; i++) sockets.push(await open(ev.eventId, bearer(s)));
		}
		const ticket = (
			await (await admin("POST", `/api/admin/events/${ev.eventId}/live-ticket`)).json<{ ticket: string }>()
		).ticket;
		const staff = await open(ev.eventId, {}, `?ticket=${encodeURIComponent(ticket)}&v=2`);
		const hub = dashboardHubOf(env, ev.eventId);
		expect(await hub.broadcastToBuyers({ type: "announcement", text: "开盘延后 10 分钟" })).toBe(sockets.length);
		await Promise.all(sockets.map((s) => s.waitFor((f) => f.type === "announcement" && f.text === "开盘延后 10 分钟")));
		await new Promise((r) => setTimeout(r, 100));
		expect(staff.frames.some((f) => f.type === "announcement")).toBe(false);
		for (const s of [...sockets, staff]) s.ws.close();
	});
});
