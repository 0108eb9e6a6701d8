// Where an isolate's claim counts go (docs/LIVE.md "Scale", SCALE.md fix 8). Every isolate reporting
// straight to the event's hub twice a second is 20,000 requests a second on one object at 10,000
// isolates. Instead each isolate reports every COUNTS_WINDOW_MS (±10 %, so that isolates started
// together drift apart) to one of the event's live shards, picked once per isolate at random; each
// shard adds up what it receives and passes the sum on to the hub at most once per window. The hub's
// inputs are then bounded by the shards (≤ spread ÷ 2 s), not by the isolates.
//
// Not per Cloudflare location: isolates of one location share no writable memory (the Cache API is
// not a counter: two isolates' read-add-write lose one of the two), and an object per location would
// be one more class doing what the shards can do on the side.
import { hubShardOf } from "../../durable-objects/addresses";
import type { ClaimCounts } from "../../durable-objects/dashboard-hub";
import { COUNTS_WINDOW_MS } from "../../durable-objects/live-config";
import { shardHash, shardSpread } from "./shard-route";

export { COUNTS_WINDOW_MS };

/** This isolate's key for picking its shard: random, so isolates spread evenly over the shards. */
let isolateKey: string | null = null;

/** The next report window of this isolate: COUNTS_WINDOW_MS ± 10 %. */
export function countsWindowMs(): number {
	return COUNTS_WINDOW_MS * (0.9 + Math.random() * 0.2);
}

/** Hands this isolate's counts for `eventId` to its shard, which sums them on to the hub. */
export async function reportClaims(env: Env, eventId: string, counts: ClaimCounts): Promise<void> {
	isolateKey ??= crypto.randomUUID();
	const idx = shardHash(isolateKey) % (await shardSpread(env, eventId));
	await hubShardOf(env, eventId, idx).recordClaims(eventId, idx, counts);
}
