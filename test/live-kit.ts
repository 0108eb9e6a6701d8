// Live sockets for the workerd tests: open one through the real worker, collect its frames, wait for
// one that matches, cut a subscriber off its feed. Used by the live feed's tests (test/feed-inputs.test.ts,
// test/live-shards.test.ts, test/feed-delivery.test.ts).
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import { hubShardOf } from "../durable-objects/addresses";
import type { DashboardHub } from "../durable-objects/dashboard-hub";
import type { FeedCopy, FeedCopyOptions } from "../durable-objects/feed-copy";
import type { HubShard } from "../durable-objects/hub-shard";
import { shardSpread } from "../worker/live/shard-route";
import { admin, call } from "./helpers";

export interface Frame {
	type: string;
	/** When this end received it (workerd's clock moves on I/O, such as a frame arriving). */
	receivedAt: number;
	[key: string]: unknown;
}

export interface Live {
	ws: WebSocket;
	frames: Frame[];
	bytes: number;
	closed: Promise<number>;
	/** Resolves with the first frame (already received or still to come) that matches. */
	waitFor(match: (f: Frame) => boolean, timeout?: number): Promise<Frame>;
}

/** Opens the event's live socket with `headers` (a buyer's session) or a `?ticket=` in `query`. */
export async function openLive(eventId: string, headers: Record<string, string>, query = "?v=2"): Promise<Live> {
	const res = await call(`/api/events/${eventId}/live${query}`, { headers: { upgrade: "websocket", ...headers } });
	const ws = res.webSocket;
	if (res.status !== 101 || !ws) throw new Error(`no WebSocket: ${res.status} ${await res.text()}`);
	ws.accept();
	const live: Live = {
		ws,
		frames: [],
		bytes: 0,
		closed: new Promise((resolve) => ws.addEventListener("close", (e) => resolve(e.code))),
		waitFor: (match, timeout = 3_000) =>
			vi.waitFor(
				() => {
					const f = live.frames.find(match);
					if (!f) throw new Error("no matching frame yet");
					return f;
				},
				{ timeout, interval: 5 },
			),
	};
	ws.addEventListener("message", (e) => {
		const text = String(e.data);
		live.bytes += text.length;
		const frame = (text === "pong" ? { type: "pong" } : JSON.parse(text)) as Frame;
		live.frames.push({ ...frame, receivedAt: Date.now() });
	});
	await live.waitFor((f) => f.type === "snapshot");
	return live;
}

/** A staff socket (`?ticket=…&v=2`): a fresh live ticket each time, as the dashboard does. */
export async function openStaff(eventId: string): Promise<Live> {
	const res = await admin("POST", `/api/admin/events/${eventId}/live-ticket`);
	const { ticket } = await res.json<{ ticket: string }>();
	return openLive(eventId, {}, `?ticket=${encodeURIComponent(ticket)}&v=2`);
}

/** Every shard of the event that holds a socket, with how many: indices up to the spread and past it. */
export async function shardLoads(eventId: string): Promise<Map<number, number>> {
	const loads = new Map<number, number>();
	const spread = await shardSpread(env, eventId);
	for (let idx = 0; idx < spread + 40; idx++) {
		const n = await hubShardOf(env, eventId, idx).connections();
		if (n > 0) loads.set(idx, n);
	}
	return loads;
}

/** The listing `id` in a frame of either version. */
export const changeOf = (f: Frame, id: string) =>
	f.type === "listings"
		? (f.changes as { id: string; available: number; status: string }[]).find((c) => c.id === id)
		: f.type === "listing" && f.id === id
			? (f as unknown as { id: string; available: number; status: string })
			: undefined;

/** A frame that says listing `id` is now `status`. */
export const hears = (id: string, status: string) => (f: Frame) => changeOf(f, id)?.status === status;

/** The last state a socket heard of listing `id` (snapshot or change). */
export function lastHeard(live: Live, id: string): { available: number; status: string } | undefined {
	let last: { available: number; status: string } | undefined;
	for (const f of live.frames) {
		const found =
			f.type === "snapshot"
				? (f.listings as { id: string; available: number; status: string }[]).find((l) => l.id === id)
				: changeOf(f, id);
		if (found) last = { available: found.available, status: found.status };
	}
	return last;
}

/** A subscriber cut off from its feed inputs (test/feed-delivery.test.ts): every deliver to it throws. */
export interface CutOff {
	/** Deliveries tried while cut off. */
	attempts: number;
	/** Reachable again (the same incarnation, its copy as it was). */
	restore(): Promise<void>;
}

/**
 * Makes the shard's or hub's `deliver` throw, as an RPC to an object that is restarting fails: its
 * copy (feed-copy.ts) refuses each batch until `restore`. Only the feed is cut; its sockets stay.
 */
export async function cutOff<O extends HubShard | DashboardHub>(stub: DurableObjectStub<O>): Promise<CutOff> {
	const cut: CutOff = {
		attempts: 0,
		restore: () =>
			runInDurableObject(stub, (o: O) => {
				delete (copyOf(o) as Partial<FeedCopy>).deliver;
			}),
	};
	await runInDurableObject(stub, (o: O) => {
		copyOf(o).deliver = () => {
			cut.attempts++;
			throw new Error("subscriber unreachable (test)");
		};
	});
	return cut;
}

/**
 * Makes the shard's or hub's joins of its inputs fail, as an RPC to an input that is restarting does,
 * until `restore` (test/live-shards.test.ts "a re-join that fails"). Batches still reach it.
 */
export async function failJoins<O extends HubShard | DashboardHub>(stub: DurableObjectStub<O>): Promise<CutOff> {
	let join: FeedCopyOptions["join"] | null = null;
	const cut: CutOff = {
		attempts: 0,
		restore: () =>
			runInDurableObject(stub, (o: O) => {
				if (join) optionsOf(o).join = join;
			}),
	};
	await runInDurableObject(stub, (o: O) => {
		join = optionsOf(o).join;
		optionsOf(o).join = () => {
			cut.attempts++;
			return Promise.reject(new Error("feed input unreachable (test)"));
		};
	});
	return cut;
}

const copyOf = (o: HubShard | DashboardHub) => (o as unknown as { copy: FeedCopy }).copy;
const optionsOf = (o: HubShard | DashboardHub) => (copyOf(o) as unknown as { options: FeedCopyOptions }).options;
