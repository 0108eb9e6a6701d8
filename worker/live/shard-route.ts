// Which HubShard a buyer's live socket goes to (docs/LIVE.md "Scale"). No object is asked: a connect
// costs one request to one shard, so a million pages connecting before the opening spread over the
// shards instead of queueing at one object.
//
// The event is given `spread` = ⌈1.25 × buyers ÷ HUB_SHARD_SOCKETS⌉ shards (the buyer count from D1,
// cached per location for a minute), and a buyer's sockets start at shard hash(buyer) mod spread, so
// the shards fill evenly. A shard never takes more than HUB_SHARD_SOCKETS: a full one answers 503
// shard_full and the worker tries the next two, then the overflow shards past the spread, in order
// (each isolate remembers the first overflow shard it found open, so it does not probe the full ones
// again). Whatever shard takes the socket has joined the hub's feed by then.
import { countBuyers } from "../../db/buyers";
import { hubShardOf } from "../../durable-objects/addresses";
import { SHARD_FULL } from "../../durable-objects/hub-shard";
import { liveConfig } from "../../durable-objects/live-config";
import { HUB_HEADERS } from "../../durable-objects/live-sockets";
import { stableHash } from "../../lib/feed-partition";
import { TtlCache } from "../../lib/ttl-cache";
import { edgeCached } from "../hot-reads/edge-cache";
import { ApiError } from "../http/errors";

/** Room for a buyer's second tab, a reconnect before the old socket is gone, and uneven hashing. */
const SPREAD_SLACK = 1.25;
/** Shards tried within the spread before the overflow ones. */
const SPREAD_PROBES = 3;
/** Overflow shards tried past the first one this isolate knows open. */
const OVERFLOW_PROBES = 8;
const BUYER_COUNT_TTL_SECONDS = 60;

const buyerCounts = new TtlCache<number>(BUYER_COUNT_TTL_SECONDS * 1000);
/** Per isolate: the first overflow shard (past the spread) not known to be full, by event. */
const overflowFrom = new Map<string, number>();

/** How many shards the event's buyers are spread over (at least one). */
export async function shardSpread(env: Env, eventId: string): Promise<number> {
	const buyers = await edgeCached(buyerCounts, `buyer-count:${eventId}`, BUYER_COUNT_TTL_SECONDS, () =>
		countBuyers(env, eventId),
	);
	return spreadFor(buyers, liveConfig(env).shardSockets);
}

export function spreadFor(buyers: number, shardSockets: number): number {
	return Math.max(1, Math.ceil((buyers * SPREAD_SLACK) / shardSockets));
}

/** FNV-1a: a stable, even spread of ids (not a secret: anyone may know which shard a buyer is on). */
export const shardHash = stableHash;

/** The shards a buyer's socket tries, in order. */
export function shardProbes(buyerId: string, spread: number, overflowStart: number): number[] {
	const home = shardHash(buyerId) % spread;
	const probes = new Set<number>();
	for (let i = 0; i < Math.min(SPREAD_PROBES, spread); i++) probes.add((home + i) % spread);
	const first = Math.max(spread, overflowStart);
	for (let i = 0; i < OVERFLOW_PROBES; i++) probes.add(first + i);
	return [...probes];
}

/** Forwards a buyer's upgrade (already authenticated by the live route) to a shard with room. */
export async function connectBuyer(
	env: Env,
	eventId: string,
	buyerId: string,
	headers: Record<string, string>,
): Promise<Response> {
	const spread = await shardSpread(env, eventId);
	for (const idx of shardProbes(buyerId, spread, overflowFrom.get(eventId) ?? spread)) {
		const request = new Request("https://hub.internal/connect", {
			headers: {
				upgrade: "websocket",
				[HUB_HEADERS.eventId]: eventId,
				[HUB_HEADERS.buyerId]: buyerId,
				[HUB_HEADERS.shard]: String(idx),
				...headers,
			},
		});
		const res = await hubShardOf(env, eventId, idx).fetch(request);
		if (res.webSocket) return new Response(null, { status: 101, webSocket: res.webSocket, headers: res.headers });
		if (!(await isFull(res))) return new Response(res.body, res);
		if (idx >= spread) overflowFrom.set(eventId, idx + 1);
	}
	throw new ApiError("degraded", "The live feed is full; the page refreshes instead.", { retryAfter: 30 });
}

async function isFull(res: Response): Promise<boolean> {
	if (res.status !== 503) return false;
	const body = (await res.clone().json()) as { error?: { code?: string } };
	return body.error?.code === SHARD_FULL;
}
