// Where hold changes enter the live feed: each goes to the input of its listing (lib/feed-partition.ts),
// one RPC per input touched, in parallel. Used by every pusher — the listing objects' fast path and the
// orders consumer — so that a listing's changes always reach the same input, whoever sends them.
// Best-effort: a failure is logged and never thrown (the queue path follows the fast path, and inputs
// re-read D1 when a subscriber joins), so a slow input never holds back a claim or an orders batch.
import { inputOfListing } from "../lib/feed-partition";
import type { HoldChange } from "../lib/hold-record";
import { feedInputOf } from "./addresses";
import { liveConfig } from "./live-config";

/** Hands `changes` of one event to their inputs; resolves once every input answered or failed. */
export async function pushHoldChanges(env: Env, eventId: string, changes: readonly HoldChange[]): Promise<void> {
	const inputs = liveConfig(env).feedInputs;
	const byInput = new Map<number, HoldChange[]>();
	for (const c of changes) {
		const k = inputOfListing(c.listingId, inputs);
		const group = byInput.get(k) ?? [];
		group.push({ holdId: c.holdId, listingId: c.listingId, status: c.status, version: c.version });
		byInput.set(k, group);
	}
	const results = await Promise.allSettled(
		[...byInput].map(([k, group]) => feedInputOf(env, eventId, k).applyHolds(eventId, k, group)),
	);
	for (const r of results) {
		if (r.status === "rejected") console.warn("live feed input not updated", { eventId, error: String(r.reason) });
	}
}
