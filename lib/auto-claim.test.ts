// When auto-claim runs (lib/auto-claim.ts), for every state an event can be in when the alarm fires.
import { describe, expect, it } from "vitest";
import { AUTO_CLAIM_POLL_MS, type AutoClaimEvent, autoClaimDueAt, autoClaimStep } from "./auto-claim";

const T = Date.parse("2026-12-01T02:00:00.000Z");

function event(o: Partial<AutoClaimEvent> = {}): AutoClaimEvent {
	return {
		startsAt: new Date(T).toISOString(),
		endsAt: new Date(T + 3_600_000).toISOString(),
		statusMode: "auto",
		openedAt: null,
		mode: "race",
		drawnAt: null,
		autoClaimDelaySeconds: 30,
		...o,
	};
}

describe("autoClaimStep", () => {
	it("is due at entryAt + delay, to the millisecond", () => {
		expect(autoClaimDueAt(T, 30)).toBe(T + 30_000);
		expect(autoClaimStep(event(), T, T + 29_999)).toEqual({ kind: "wait", until: T + 30_000 });
		expect(autoClaimStep(event(), T, T + 30_000)).toEqual({ kind: "run", entryAt: T });
		expect(autoClaimStep(event({ autoClaimDelaySeconds: 0 }), T, T)).toEqual({ kind: "run", entryAt: T });
	});

	it("ends for an event gone or closed", () => {
		expect(autoClaimStep(null, T, T)).toEqual({ kind: "finish", reason: "event_gone" });
		expect(autoClaimStep(event({ statusMode: "closed" }), T, T + 60_000)).toEqual({
			kind: "finish",
			reason: "event_closed",
		});
		expect(autoClaimStep(event(), T, T + 3_600_000)).toEqual({ kind: "finish", reason: "event_closed" });
	});

	it("waits while paused or scheduled past its time, looking again every poll", () => {
		const now = T + 60_000;
		expect(autoClaimStep(event({ statusMode: "paused" }), T, now)).toEqual({
			kind: "wait",
			until: now + AUTO_CLAIM_POLL_MS,
		});
	});

	it("in a lottery event not drawn yet, waits no earlier than the opening plus the delay", () => {
		const lottery = event({ mode: "lottery" });
		expect(autoClaimStep(lottery, null, T - 3_600_000)).toEqual({ kind: "wait", until: T + 30_000 });
		expect(autoClaimStep(lottery, null, T + 60_000)).toEqual({ kind: "wait", until: T + 60_000 + AUTO_CLAIM_POLL_MS });
		const drawn = event({ mode: "lottery", drawnAt: new Date(T - 1).toISOString() });
		expect(autoClaimStep(drawn, null, T + 60_000)).toEqual({ kind: "finish", reason: "not_in_draw" });
	});
});
