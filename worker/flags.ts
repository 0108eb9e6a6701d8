// Degradation flags: per-event operator switches stored durably in D1 and read through the edge
// cache, so they take effect everywhere within FLAGS_TTL_SECONDS (at once in the isolate that wrote
// them). Per event, because an operator degrades the opening in trouble, not every opening at once.
//   claimsPaused  — claims and purchase tokens answer 503 degraded (the event itself stays open)
//   smsOff        — notifications are recorded but not sent to the SMS provider
//   buyerLiveOff  — buyers' live WebSocket connections are refused (staff keep theirs)
import { eq } from "drizzle-orm";
import { z } from "zod";
import { dbOf, schema } from "../db/client";
import { TtlCache } from "../lib/ttl-cache";
import { edgeCached, evictEdgeCached } from "./edge-cache";

export const FLAGS_TTL_SECONDS = 2;

export const flagsSchema = z.strictObject({
	claimsPaused: z.boolean(),
	smsOff: z.boolean(),
	buyerLiveOff: z.boolean(),
});

export type Flags = z.infer<typeof flagsSchema>;

export const DEFAULT_FLAGS: Flags = { claimsPaused: false, smsOff: false, buyerLiveOff: false };

const memory = new TtlCache<Flags>(FLAGS_TTL_SECONDS * 1000);
const keyOf = (eventId: string) => `flags:${eventId}`;

export function loadFlags(env: Env, eventId: string): Promise<Flags> {
	return edgeCached(memory, keyOf(eventId), FLAGS_TTL_SECONDS, () => readFlags(env, eventId));
}

/** Reads D1 directly (no cache): consumers and the admin route want the durable truth. */
export async function readFlags(env: Env, eventId: string): Promise<Flags> {
	const rows = await dbOf(env)
		.select()
		.from(schema.settings)
		.where(eq(schema.settings.key, keyOf(eventId)))
		.limit(1);
	const stored = rows[0] ? flagsSchema.partial().safeParse(JSON.parse(rows[0].value)) : null;
	return { ...DEFAULT_FLAGS, ...(stored?.success ? stored.data : {}) };
}

export async function saveFlags(env: Env, eventId: string, changes: Partial<Flags>): Promise<Flags> {
	const next = { ...(await readFlags(env, eventId)), ...changes };
	const now = new Date().toISOString();
	const value = JSON.stringify(next);
	await dbOf(env)
		.insert(schema.settings)
		.values({ key: keyOf(eventId), value, updatedAt: now })
		.onConflictDoUpdate({ target: schema.settings.key, set: { value, updatedAt: now } });
	await evictEdgeCached(memory, keyOf(eventId));
	return next;
}
