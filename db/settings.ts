// Settings in D1: the operator's degradation switches of each event, stored as one JSON row under
// `flags:<eventId>` (the key API.md's "flags" gave it; kept so that stored rows stay readable). The
// cached read for the request path is worker/hot-reads/switches.ts; consumers read here directly.
//   claimsPaused  — claims and purchase tokens answer 503 degraded (the event itself stays open)
//   smsOff        — notifications are recorded but not sent to the SMS provider
//   buyerLiveOff  — buyers' live WebSocket connections are refused (staff keep theirs)
import { eq } from "drizzle-orm";
import type { Switches } from "../client/api-types";
import { type D1Env, dbOf, schema } from "./client";

// The stored shape is the API's (client/api-types.ts): one definition for the wire and the row.
export type { Switches };

export const DEFAULT_SWITCHES: Switches = { claimsPaused: false, smsOff: false, buyerLiveOff: false };

const SWITCH_NAMES = Object.keys(DEFAULT_SWITCHES) as (keyof Switches)[];

/** The settings key of an event's switches. */
export function switchesKey(eventId: string): string {
	return `flags:${eventId}`;
}

/** The event's switches as D1 has them now (no cache), defaults for any not stored. */
export async function readSwitches(env: D1Env, eventId: string): Promise<Switches> {
	const rows = await dbOf(env)
		.select()
		.from(schema.settings)
		.where(eq(schema.settings.key, switchesKey(eventId)))
		.limit(1);
	return { ...DEFAULT_SWITCHES, ...(rows[0] ? storedSwitches(rows[0].value) : {}) };
}

/** Applies `changes` over the stored switches and stores the result, which it returns. */
export async function saveSwitches(env: D1Env, eventId: string, changes: Partial<Switches>): Promise<Switches> {
	const next = { ...(await readSwitches(env, eventId)), ...changes };
	const now = new Date().toISOString();
	const value = JSON.stringify(next);
	await dbOf(env)
		.insert(schema.settings)
		.values({ key: switchesKey(eventId), value, updatedAt: now })
		.onConflictDoUpdate({ target: schema.settings.key, set: { value, updatedAt: now } });
	return next;
}

/**
 * The switches a stored value sets. All or nothing: a value with a name we do not know or a
 * non-boolean is ignored whole (defaults apply), as a row written by a different version could be.
 */
function storedSwitches(value: string): Partial<Switches> {
	const stored = JSON.parse(value) as unknown;
	if (typeof stored !== "object" || stored === null || Array.isArray(stored)) return {};
	const entries = Object.entries(stored);
	const known = (name: string): name is keyof Switches => (SWITCH_NAMES as string[]).includes(name);
	if (!entries.every(([name, on]) => known(name) && typeof on === "boolean")) return {};
	return Object.fromEntries(entries) as Partial<Switches>;
}
