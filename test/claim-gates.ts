// Driving the claim protocol by hand in tests: the ids a test needs to call the buyer object as the
// edge does, and gates at the buyer object's pause points (its test-only hooks) to force the order of
// steps. Shared by the fault tests and the schedule exploration.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import { newNonce } from "../client/signing";
import { buyerQuotaOf } from "../durable-objects/addresses";
import type { BuyerQuota, ClaimPausePoint } from "../durable-objects/buyer-quota";
import { type Login, sessionIdOf } from "./helpers";

/** A signed attempt as the edge hands it to the buyer object after checking the request. */
export const attempt = (s: Login) => ({ sessionId: sessionIdOf(s), nonce: newNonce() });

/** A listing's inventory address, as the buyer object names it in its claim (the terms come from D1). */
export const listingAt = (eventId: string, listingId: string) => ({ eventId, listingId });

/**
 * A gate at one pause point of the buyer object: `reached` resolves with the hold id once a claim stands
 * there, `open()` lets it go on, `fail()` makes it throw there (an injected fault). The object polls its
 * own timer for the gate: a promise made by the test cannot be awaited inside the object (workerd ties
 * I/O to the context that created it).
 */
export interface Gate {
	reached: Promise<string>;
	open(): Promise<void>;
	fail(): Promise<void>;
}

interface GateState {
	point: ClaimPausePoint;
	left: number;
	at: string | null;
	verdict: "wait" | "open" | "fail";
}

const gates = new WeakMap<BuyerQuota, GateState>();

export async function gateAt(eventId: string, buyerId: string, point: ClaimPausePoint, times = 1): Promise<Gate> {
	const stub = buyerQuotaOf(env, eventId, buyerId);
	await runInDurableObject(stub, (instance: BuyerQuota) => {
		const gate: GateState = { point, left: times, at: null, verdict: "wait" };
		gates.set(instance, gate);
		instance.hooks = {
			async pause(at, holdId) {
				if (at !== gate.point || gate.left === 0) return;
				gate.left -= 1;
				gate.at = holdId;
				while (gate.verdict === "wait") await new Promise((r) => setTimeout(r, 5));
				if (gate.verdict === "fail") throw new Error("injected fault");
			},
		};
	});
	const decide = (verdict: "open" | "fail") =>
		runInDurableObject(stub, (instance: BuyerQuota) => {
			const gate = gates.get(instance);
			if (gate) gate.verdict = verdict;
		});
	const reached = vi.waitFor(
		async () => {
			const at = await runInDurableObject(stub, (instance: BuyerQuota) => gates.get(instance)?.at ?? null);
			if (!at) throw new Error("not there yet");
			return at;
		},
		{ timeout: 10_000, interval: 10 },
	);
	return { reached, open: () => decide("open"), fail: () => decide("fail") };
}
