// The live feed's knobs (wrangler.toml [vars], docs/LIVE.md "Scale"), read and bounded in one place
// so that the worker (which picks a shard) and the objects (which enforce it) agree.

/** Buyer sockets one HubShard holds at most ("thousands of clients per instance"). */
export const DEFAULT_SHARD_SOCKETS = 5_000;
/**
 * The least time between two frames to one socket. A quiet feed still sends a change after
 * BROADCAST_DELAY_MS; under a burst each socket gets one frame per interval carrying every change. Kept
 * ≤ 800 ms so that a change made just after a frame, which also waits up to INPUT_FLUSH_MS at its input,
 * still arrives within API.md's 1 s.
 */
export const DEFAULT_FLUSH_MS = 750;
export const MAX_FLUSH_MS = 800;
/** A quiet feed's first change waits this long for others to join it. */
export const BROADCAST_DELAY_MS = 75;
/**
 * The least time between two batches of one input (FeedInput) to its subscribers. Short: the shards
 * and the hub coalesce what all K inputs send them into ≤ 1 frame per socket per flush interval, and a
 * change waits at both stages (≤ INPUT_FLUSH_MS + the flush interval + the hops, under 1 s).
 */
export const INPUT_FLUSH_MS = 100;
/**
 * A subscriber's first frame after a quiet spell waits this long for the other inputs' batches: a burst
 * reaches K inputs at nearly the same moment, and their batches arrive within a few ms of each other.
 */
export const RELAY_GATHER_MS = 50;
/** Inputs of an event's live feed (LIVE_FEED_INPUTS); change only between events (lib/feed-partition.ts). */
export const DEFAULT_FEED_INPUTS = 10;
export const MAX_FEED_INPUTS = 64;

export interface LiveConfig {
	shardSockets: number;
	flushMs: number;
	/** K: the feed's inputs; a listing pushes to input hash(listing id) mod K. */
	feedInputs: number;
}

export function liveConfig(env: {
	HUB_SHARD_SOCKETS?: string;
	HUB_FLUSH_MS?: string;
	LIVE_FEED_INPUTS?: string;
}): LiveConfig {
	return {
		shardSockets: bounded(env.HUB_SHARD_SOCKETS, DEFAULT_SHARD_SOCKETS, 1, 32_768),
		flushMs: bounded(env.HUB_FLUSH_MS, DEFAULT_FLUSH_MS, BROADCAST_DELAY_MS, MAX_FLUSH_MS),
		feedInputs: bounded(env.LIVE_FEED_INPUTS, DEFAULT_FEED_INPUTS, 1, MAX_FEED_INPUTS),
	};
}

function bounded(raw: string | undefined, fallback: number, min: number, max: number): number {
	const n = Number(raw);
	if (raw === undefined || raw === "" || !Number.isFinite(n)) return fallback;
	return Math.min(max, Math.max(min, Math.floor(n)));
}

/**
 * When the next frame may go: a quiet feed after the short delay (`quietMs`), a busy one an interval
 * after the last.
 */
export function nextFlushDelay(
	now: number,
	lastFlushAt: number,
	flushMs: number,
	quietMs = BROADCAST_DELAY_MS,
): number {
	return Math.max(quietMs, lastFlushAt + flushMs - now);
}

/**
 * Claim counts: an isolate reports to its shard this often (±10 %), and a shard passes its sums on to
 * the hub at most this often (worker/live/claim-report.ts). API.md's stats still go out every second.
 */
export const COUNTS_WINDOW_MS = 2_000;
