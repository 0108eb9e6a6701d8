// A hot unit's first wave kept under its object's limit (docs/SCALE.md fix 6, `firstWaveBudget`).
// At the opening every isolate gets claims for the hottest units before any of them knows the unit
// is gone; a Durable Object serves ~1,000 requests a second. So each isolate forwards at most one
// claim per unit per window of FIRST_WAVE_WINDOW_MS (set it to isolates ÷ 1,000 seconds), and
// answers the rest 503 overloaded with Retry-After 1, as API.md lets a saturated unit answer; by
// the retry the unit's sold-out flag (its own or the location's, fix 4) answers most of them.
//
// The windows of each isolate and unit start at a random phase after the event opened, so the
// isolates' first forwards spread over one window instead of landing in the first millisecond. A
// claim that arrives long after the opening finds its slot open at once.
//
// Guarantee 3 (nothing stranded): a refusal touches nothing, and a window's one forward that did not
// reach the unit's inventory, or was refused for the buyer's own reasons (limit_reached, a 429, a
// replayed nonce, …), gives its slot back at once, so the next claim of the same window goes on. Only
// an answer about the unit itself (a grant, sold out, or overloaded) keeps the slot used.
//
// 0 (or unset) switches it off: the tests' default, where one isolate sends many claims per unit in
// the same millisecond on purpose.
import { createMiddleware } from "hono/factory";
import { openedAtMs } from "../../lib/event-rules";
import type { AppEnv } from "../http/app-env";
import { ApiError, overloaded } from "../http/errors";

interface Slots {
	/** Where this isolate's windows for the unit start, ms after the opening: random in [0, window). */
	phase: number;
	/** The window whose one forward was used (-1: none yet). */
	used: number;
}

const slots = new Map<string, Slots>();
const MAX_UNITS = 100_000;

/** The answers that were about the unit itself: they use up the window's forward. */
const ABOUT_THE_UNIT = new Set(["sold_out", "overloaded"]);

let forced: { windowMs?: number; random?: () => number } = {};

export function firstWaveWindowMs(env: Env): number {
	const ms = forced.windowMs ?? Number(env.FIRST_WAVE_WINDOW_MS ?? 0);
	return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

/**
 * Whether this isolate may forward a claim for the unit now; if so, returns a function that gives
 * the slot back (for a forward that did not reach the unit).
 */
export function takeForward(
	unitKey: string,
	openedAt: number,
	windowMs: number,
	now = Date.now(),
): (() => void) | null {
	let s = slots.get(unitKey);
	if (!s) {
		if (slots.size >= MAX_UNITS) slots.clear();
		s = { phase: (forced.random ?? Math.random)() * windowMs, used: -1 };
		slots.set(unitKey, s);
	}
	const since = now - openedAt - s.phase;
	// Before this isolate's first window for the unit: only ever within one window of the opening.
	if (since < 0) return null;
	const window = Math.floor(since / windowMs);
	if (window === s.used) return null;
	const previous = s.used;
	s.used = window;
	const slotsOfUnit = s;
	return () => {
		if (slotsOfUnit.used === window) slotsOfUnit.used = previous;
	};
}

/** Runs after soldOutGate (a flagged unit is answered 409 first) and before anything that spends. */
export function firstWaveBudget() {
	return createMiddleware<AppEnv>(async function firstWaveBudget(c, next) {
		const windowMs = firstWaveWindowMs(c.env);
		if (windowMs === 0) return next();
		const event = c.get("event");
		const giveBack = takeForward(`${event.id}:${c.get("listing").id}`, openedAtMs(event), windowMs);
		if (!giveBack) throw overloaded();
		await next();
		const code = c.error instanceof ApiError ? c.error.code : (c.get("refusedWith") ?? null);
		if (!c.res.ok && (code === null || !ABOUT_THE_UNIT.has(code))) giveBack();
	});
}

/** Tests: a forced window and phase (a fresh isolate's slots too), or back to the binding's. */
export function forceFirstWaveForTests(options: { windowMs?: number; random?: () => number }): void {
	forced = options;
	slots.clear();
}
