// Degradation switches (API.md calls them flags: /api/admin/events/:eventId/flags; "flags" in the code
// means the sold-out flags only): per-event operator switches stored durably in D1 and read through the edge
// cache, so they take effect everywhere within SWITCHES_TTL_SECONDS (at once in the isolate that wrote
// them). Per event, because an operator degrades the opening in trouble, not every opening at once.
//   claimsPaused  — claims and purchase tokens answer 503 degraded (the event itself stays open)
//   smsOff        — notifications are recorded but not sent to the SMS provider
//   buyerLiveOff  — buyers' live WebSocket connections are refused (staff keep theirs)
import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Switches } from "../../client/api-types";
import { dbOf, schema } from "../../db/client";
import { TtlCache } from "../../lib/ttl-cache";
import { edgeCached, evictEdgeCached } from "./edge-cache";

export const SWITCHES_TTL_SECONDS = 2;

export const switchesSchema = z.strictObject({
	claimsPaused: z.boolean(),
	smsOff: z.boolean(),
	buyerLiveOff: z.boolean(),
} satisfies Record<keyof Switches, z.ZodBoolean>); // the client's switches, every one and no other

export type { Switches };

export const DEFAULT_SWITCHES: Switches = { claimsPaused: false, smsOff: false, buyerLiveOff: false };

const memory = new TtlCache<Switches>(SWITCHES_TTL_SECONDS * 1000);
const keyOf = (eventId: string) => `flags:${eventId}`;

export function loadSwitches(env: Env, eventId: string): Promise<Switches> {
	return edgeCached(memory, keyOf(eventId), SWITCHES_TTL_SECONDS, () => readSwitches(env, eventId));
}

/** Reads D1 directly (no cache): consumers and the admin route want the durable truth. */
export async function readSwitches(env: Env, eventId: string): Promise<Switches> {
	const rows = await dbOf(env)
		.select()
		.from(schema.settings)
		.where(eq(schema.settings.key, keyOf(eventId)))
		.limit(1);
	const stored = rows[0] ? switchesSchema.partial().safeParse(JSON.parse(rows[0].value)) : null;
	return { ...DEFAULT_SWITCHES, ...(stored?.success ? stored.data : {}) };
}

export async function saveSwitches(env: Env, eventId: string, changes: Partial<Switches>): Promise<Switches> {
	const next = { ...(await readSwitches(env, eventId)), ...changes };
	const now = new Date().toISOString();
	const value = JSON.stringify(next);
	await dbOf(env)
		.insert(schema.settings)
		.values({ key: keyOf(eventId), value, updatedAt: now })
		.onConflictDoUpdate({ target: schema.settings.key, set: { value, updatedAt: now } });
	await evictEdgeCached(memory, keyOf(eventId));
	return next;
}
