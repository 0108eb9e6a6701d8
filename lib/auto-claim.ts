// When the server claims for a buyer (API.md v1.1 "Wish lists and auto-claim"): a buyer with
// autoClaim on who holds nothing of the event `autoClaimDelaySeconds` after its entry time is given
// the first listing of its wish list that still has a unit. Pure: the buyer's object
// (durable-objects/buyer-quota.ts) asks this at every alarm with what D1 says now, so an opening moved
// earlier or later, a pause, a postponed draw or a closed event are each seen when the alarm fires,
// never assumed from when it was set.
import { drawPending, type EventTimes, eventStatus, openedAtMs } from "./event-rules";

/** How often an armed buyer looks again while its event is scheduled past its time, paused or undrawn. */
export const AUTO_CLAIM_POLL_MS = 30_000;

export interface AutoClaimEvent extends EventTimes {
	autoClaimDelaySeconds: number;
}

export type AutoClaimStep =
	/** Not yet: wake at `until` and ask again. */
	| { kind: "wait"; until: number }
	/** Never any more: the event is gone or closed, or the buyer has no place in its draw. */
	| { kind: "finish"; reason: "event_gone" | "event_closed" | "not_in_draw" }
	/** Claim now; `entryAt` goes with the claim as its notBefore (guarantee 8). */
	| { kind: "run"; entryAt: number };

/** The moment auto-claim is due: entryAt + autoClaimDelaySeconds (epoch ms). */
export function autoClaimDueAt(entryAtMs: number, delaySeconds: number): number {
	return entryAtMs + delaySeconds * 1000;
}

/**
 * What an armed buyer does now. `entryAtMs` is the buyer's entry time from the event as D1 has it
 * (null in a lottery event before its reveal, or for a buyer missing from the order).
 */
export function autoClaimStep(event: AutoClaimEvent | null, entryAtMs: number | null, now: number): AutoClaimStep {
	if (!event) return { kind: "finish", reason: "event_gone" };
	const status = eventStatus(event, now);
	if (status === "closed") return { kind: "finish", reason: "event_closed" };
	if (entryAtMs === null) {
		// Drawn but not in the order cannot happen (the list is frozen at the commit); were it so, the
		// buyer gets nothing rather than a unit before anyone's turn.
		if (!drawPending(event)) return { kind: "finish", reason: "not_in_draw" };
		// Nobody enters before the opening: no need to look before it (the reveal re-arms every buyer).
		const earliest = autoClaimDueAt(openedAtMs(event), event.autoClaimDelaySeconds);
		return { kind: "wait", until: Math.max(earliest, now + AUTO_CLAIM_POLL_MS) };
	}
	const due = autoClaimDueAt(entryAtMs, event.autoClaimDelaySeconds);
	if (now < due) return { kind: "wait", until: due };
	if (status !== "open") return { kind: "wait", until: now + AUTO_CLAIM_POLL_MS };
	return { kind: "run", entryAt: entryAtMs };
}
