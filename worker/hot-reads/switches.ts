// Degradation switches (API.md calls them flags: /api/admin/events/:eventId/flags; "flags" in the code
// means the sold-out flags only): per-event operator switches stored durably in D1 (db/settings.ts) and
// read through the edge cache, so they take effect everywhere within SWITCHES_TTL_SECONDS (at once in
// the isolate that wrote them). Per event, because an operator degrades the opening in trouble, not
// every opening at once.
import { z } from "zod";
import { readSwitches, type Switches, saveSwitches as storeSwitches, switchesKey } from "../../db/settings";
import { TtlCache } from "../../lib/ttl-cache";
import { edgeCached, evictEdgeCached } from "./edge-cache";

export type { Switches };

export const SWITCHES_TTL_SECONDS = 2;

/** The body of PUT …/flags (partial) and the shape of its answer; the names are db/settings.ts's. */
export const switchesSchema = z.strictObject({
	claimsPaused: z.boolean(),
	smsOff: z.boolean(),
	buyerLiveOff: z.boolean(),
} satisfies Record<keyof Switches, z.ZodBoolean>); // the client's switches, every one and no other

const memory = new TtlCache<Switches>(SWITCHES_TTL_SECONDS * 1000);

/** The event's switches for the request path: at most SWITCHES_TTL_SECONDS old. */
export function loadSwitches(env: Env, eventId: string): Promise<Switches> {
	return edgeCached(memory, switchesKey(eventId), SWITCHES_TTL_SECONDS, () => readSwitches(env, eventId));
}

/** Stores the operator's changes and drops this isolate's (and colo's) cached copy, so they apply here at once. */
export async function saveSwitches(env: Env, eventId: string, changes: Partial<Switches>): Promise<Switches> {
	const next = await storeSwitches(env, eventId, changes);
	await evictEdgeCached(memory, switchesKey(eventId));
	return next;
}
