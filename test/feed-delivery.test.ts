// A subscriber the feed input could not reach (docs/LIVE.md "A subscriber that missed the last batch",
// durable-objects/feed-delivery.ts). The schedule that broke it: one subscriber unreachable for exactly
// the last batch of a burst, then nothing more on the feed — no next batch shows it the gap, and its
// sockets kept the old state. Here a shard, and the staff hub (subscriber −1), refuse deliveries for a
// moment; the input must get the batch to them within a bound while the others got it on time, also
// when the input is evicted between the failure and its retry; and one that stays away is retried at
// a falling rate, not in a loop. Every object is real; "unreachable" is the subscriber's own deliver
// throwing (test/live-kit.ts `cutOff`), as an RPC to a restarting object fails.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { dashboardHubOf, feedInputOf, hubShardOf } from "../durable-objects/addresses";
import { SETTLE_MS } from "../durable-objects/feed-delivery";
import type { FeedInput } from "../durable-objects/feed-input";
import { liveConfig } from "../durable-objects/live-config";
import { inputOfListing } from "../lib/feed-partition";
import { bearer, claim, type Login, login, type SeededEvent, seedEvent } from "./helpers";
import { cutOff, hears, type Live, lastHeard, openLive, openStaff, shardLoads } from "./live-kit";

const K = liveConfig(env).feedInputs;
/** The bound for a subscriber that missed a batch: its first retries come 250 ms and 750 ms after. */
const CATCH_UP_MS = 3_000;

interface Crowd {
	ev: SeededEvent;
	sessions: Login[];
	/** Each buyer socket with the shard that holds it. */
	sockets: { live: Live; shard: number }[];
}

/** One socket per buyer, spread over several shards; each socket learns its shard from a probe frame. */
async function crowd(buyers: number): Promise<Crowd> {
	const ev = await seedEvent({ listings: 4, buyers });
	const sessions = await Promise.all(ev.buyerIds.map((id) => login(ev.eventId, id)));
	const lives = await Promise.all(sessions.map((s) => openLive(ev.eventId, bearer(s))));
	const loads = await shardLoads(ev.eventId);
	expect(loads.size).toBeGreaterThanOrEqual(2);
	for (const idx of loads.keys()) {
		await hubShardOf(env, ev.eventId, idx).broadcast(JSON.stringify({ type: "probe", idx }));
	}
	const sockets = await Promise.all(
		lives.map(async (live) => ({ live, shard: (await live.waitFor((f) => f.type === "probe")).idx as number })),
	);
	// Let the joins' moments pass (socket counts to the hub, anything an input had to send).
	await new Promise((r) => setTimeout(r, 500));
	return { ev, sessions, sockets };
}

const session = (c: Crowd, i: number) => {
	const s = c.sessions[i];
	if (!s) throw new Error(`no buyer ${i}`);
	return s;
};

/** The first socket's shard, its sockets and the others'; cut off from the feed by `disconnect`. */
function victimOf(c: Crowd) {
	const victim = c.sockets[0]?.shard ?? -1;
	return {
		victim,
		cut: c.sockets.filter((s) => s.shard === victim),
		others: c.sockets.filter((s) => s.shard !== victim),
		disconnect: () => cutOff(hubShardOf(env, c.ev.eventId, victim)),
	};
}

/** Waits until `live` says listing `id` is `status`; returns when it heard it (ms after `since`). */
async function heardWithin(live: Live, id: string, status: string, since: number, timeout: number): Promise<number> {
	const frame = await live.waitFor(hears(id, status), timeout);
	return frame.receivedAt - since;
}

describe("a subscriber that missed the last batch before a quiet spell", () => {
	it("a shard unreachable for the burst's last batch ends at the true state; the other shards got it on time", async () => {
		const c = await crowd(8);
		const { cut, others, disconnect } = victimOf(c);
		// The burst: L1, which every shard hears, then L2 while the victim refuses deliveries.
		expect((await claim(session(c, 0), "L1")).status).toBe(201);
		await Promise.all(c.sockets.map((s) => s.live.waitFor(hears("L1", "held"), 2_000)));
		const unreachable = await disconnect();
		expect((await claim(session(c, 1), "L2")).status).toBe(201);
		const answered = Date.now();
		await vi.waitFor(() => expect(unreachable.attempts).toBeGreaterThanOrEqual(1), { timeout: 2_000, interval: 5 });
		await unreachable.restore();
		// Nothing more happens on the feed.
		const late = await Promise.all(cut.map((s) => heardWithin(s.live, "L2", "held", answered, CATCH_UP_MS)));
		const onTime = await Promise.all(others.map((s) => heardWithin(s.live, "L2", "held", answered, 1_000)));
		console.log(`missed batch → victim's sockets ${late.join(", ")} ms; other shards ≤ ${Math.max(...onTime)} ms`);
		for (const ms of onTime) expect(ms).toBeLessThan(1_000);
		for (const s of c.sockets) expect(lastHeard(s.live, "L2")).toEqual({ available: 0, status: "held" });
		for (const s of c.sockets) s.live.ws.close();
	});

	it("the staff hub (subscriber −1) unreachable for the last batch: the staff socket ends at the true state", async () => {
		const ev = await seedEvent({ listings: 2, buyers: 2 });
		const [b1, b2] = await Promise.all(["B1", "B2"].map((id) => login(ev.eventId, id)));
		if (!b1 || !b2) throw new Error("no buyers");
		const buyer = await openLive(ev.eventId, bearer(b2));
		const staff = await openStaff(ev.eventId);
		await new Promise((r) => setTimeout(r, 500));
		const unreachable = await cutOff(dashboardHubOf(env, ev.eventId));
		expect((await claim(b1, "L1")).status).toBe(201);
		const answered = Date.now();
		await vi.waitFor(() => expect(unreachable.attempts).toBeGreaterThanOrEqual(1), { timeout: 2_000, interval: 5 });
		await unreachable.restore();
		expect(await heardWithin(buyer, "L1", "held", answered, 1_000)).toBeLessThan(1_000);
		const late = await heardWithin(staff, "L1", "held", answered, CATCH_UP_MS);
		console.log(`missed batch → staff socket ${late} ms`);
		expect(lastHeard(staff, "L1")).toEqual({ available: 0, status: "held" });
		buyer.ws.close();
		staff.ws.close();
	});

	it("the input evicted between the failure and its retry still delivers (its retry is stored, its alarm wakes it)", async () => {
		const c = await crowd(8);
		const { victim, cut, disconnect } = victimOf(c);
		const unreachable = await disconnect();
		expect((await claim(session(c, 0), "L3")).status).toBe(201);
		const answered = Date.now();
		const input = feedInputOf(env, c.ev.eventId, inputOfListing("L3", K));
		const stored = () =>
			runInDurableObject(input, async (_: FeedInput, state) => ({
				alarm: await state.storage.getAlarm(),
				retries: state.storage.sql
					.exec<{ idx: number }>("SELECT idx FROM subscribers WHERE retry_at IS NOT NULL")
					.toArray()
					.map((r) => r.idx),
			}));
		// The input has recorded the failure; its first retry is 250 ms away.
		await vi.waitFor(async () => expect((await stored()).retries).toEqual([victim]), { timeout: 2_000, interval: 5 });
		await evictDurableObject(input);
		// Nothing in memory survived: the retry is the stored one, armed on the alarm (a retry that fires
		// meanwhile fails again and stores the next one: the shard is still cut off).
		const after = await stored();
		expect(after.retries).toEqual([victim]);
		expect(after.alarm).not.toBeNull();
		await unreachable.restore();
		await Promise.all(cut.map((s) => heardWithin(s.live, "L3", "held", answered, CATCH_UP_MS + 1_000)));
		for (const s of c.sockets) expect(lastHeard(s.live, "L3")).toEqual({ available: 0, status: "held" });
		for (const s of c.sockets) s.live.ws.close();
	});

	it("the input reset while a batch is out (no answer heard, nothing recorded): its alarm sends it to everyone", async () => {
		const c = await crowd(4);
		const input = feedInputOf(env, c.ev.eventId, inputOfListing("L1", K));
		const stored = () =>
			runInDurableObject(input, async (_: FeedInput, state) => ({
				alarm: await state.storage.getAlarm(),
				...state.storage.sql.exec<{ seq: number; settled: number }>("SELECT seq, settled FROM meta").one(),
			}));
		// A batch that reached everyone: settled, and the alarm it armed before leaving is at most 2 s away.
		const sentAt = Date.now();
		expect((await claim(session(c, 0), "L1")).status).toBe(201);
		await Promise.all(c.sockets.map((s) => s.live.waitFor(hears("L1", "held"), 2_000)));
		await vi.waitFor(async () => expect((await stored()).settled).toBe((await stored()).seq), { timeout: 1_000 });
		const armed = await stored();
		expect(armed.alarm).not.toBeNull();
		expect(armed.alarm ?? 0).toBeLessThanOrEqual(Date.now() + SETTLE_MS);
		expect(armed.alarm ?? 0).toBeGreaterThanOrEqual(sentAt);
		// What an input has stored when it ends with a batch on its way: the batch numbered and its states
		// marked sent (flush), the alarm armed before it left (settle), no answer recorded. A runtime reset
		// cuts the forward there; the test writes that state (staff confirmed L1) and evicts the input.
		const lostAt = Date.now();
		await runInDurableObject(input, async (_: FeedInput, state) => {
			const sql = state.storage.sql;
			sql.exec("UPDATE holds SET status = 'confirmed', version = version + 1 WHERE listing_id = 'L1'");
			sql.exec("UPDATE meta SET seq = seq + 1");
			sql.exec("UPDATE listings SET status = 'sold', unsent = 0, batch = (SELECT seq FROM meta) WHERE id = 'L1'");
			await state.storage.setAlarm(Date.now() + SETTLE_MS);
		});
		await evictDurableObject(input);
		const late = await Promise.all(
			c.sockets.map((s) => heardWithin(s.live, "L1", "sold", lostAt, SETTLE_MS + CATCH_UP_MS)),
		);
		console.log(`batch lost with its input → every socket ${Math.min(...late)}–${Math.max(...late)} ms`);
		for (const s of c.sockets) s.live.ws.close();
	});

	it("a shard that stays unreachable is retried at a falling rate, not in a loop, and still catches up when back", async () => {
		const c = await crowd(8);
		const { cut, disconnect } = victimOf(c);
		const unreachable = await disconnect();
		expect((await claim(session(c, 0), "L4")).status).toBe(201);
		await new Promise((r) => setTimeout(r, 10_000));
		const attempts = unreachable.attempts;
		console.log(`a shard unreachable for 10 s: ${attempts} deliveries tried`);
		// The batch, then retries 0.25, 0.75, 1.75, 3.75 and 7.75 s after it: 6; a loop would be thousands.
		expect(attempts).toBeGreaterThanOrEqual(4);
		expect(attempts).toBeLessThanOrEqual(8);
		const back = Date.now();
		await unreachable.restore();
		// The next retry is at most 5 s away.
		await Promise.all(cut.map((s) => s.live.waitFor(hears("L4", "held"), 7_000)));
		console.log(`back after 10 s → heard ${Date.now() - back} ms later`);
		for (const s of c.sockets) s.live.ws.close();
	}, 40_000);
});
