// The live feed's two knobs (wrangler.toml [vars], docs/LIVE.md "Scale"), read and bounded in one place
// so that the worker (which picks a shard) and the objects (which enforce it) agree.

/** Buyer sockets one HubShard holds at most ("thousands of clients per instance"). */
export const DEFAULT_SHARD_SOCKETS = 5_000;
/**
 * The least time between two frames to one socket. A quiet feed still sends a change after
 * BROADCAST_DELAY_MS; under a burst each socket gets one frame per interval carrying every change. Kept
 * ≤ 900 ms so that a change made just after a frame still arrives within API.md's 1 s.
 */
export const DEFAULT_FLUSH_MS = 750;
export const MAX_FLUSH_MS = 900;
/** A quiet feed's first change waits this long for others to join it. */
export const BROADCAST_DELAY_MS = 75;

export interface LiveConfig {
	shardSockets: number;
	flushMs: number;
}

export function liveConfig(env: { HUB_SHARD_SOCKETS?: string; HUB_FLUSH_MS?: string }): LiveConfig {
	return {
		shardSockets: bounded(env.HUB_SHARD_SOCKETS, DEFAULT_SHARD_SOCKETS, 1, 32_768),
		flushMs: bounded(env.HUB_FLUSH_MS, DEFAULT_FLUSH_MS, BROADCAST_DELAY_MS, MAX_FLUSH_MS),
	};
}

function bounded(raw: string | undefined, fallback: number, min: number, max: number): number {
	const n = Number(raw);
	if (raw === undefined || raw === "" || !Number.isFinite(n)) return fallback;
	return Math.min(max, Math.max(min, Math.floor(n)));
}

/** When the next frame may go: a quiet feed after the short delay, a busy one an interval after the last. */
export function nextFlushDelay(now: number, lastFlushAt: number, flushMs: number): number {
	return Math.max(BROADCAST_DELAY_MS, lastFlushAt + flushMs - now);
}

/**
 * Claim counts: an isolate reports to its shard this often (±10 %), and a shard passes its sums on to
 * the hub at most this often (worker/live/claim-report.ts). API.md's stats still go out every second.
 */
export const COUNTS_WINDOW_MS = 2_000;
