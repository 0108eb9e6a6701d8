// Events in D1: the operator's definition of an opening (times, hold length, buyer limit, status mode).
import { eq } from "drizzle-orm";
import { dbOf, schema } from "./client";

export type EventRow = typeof schema.events.$inferSelect;

/** The event as D1 has it now (no cache): operator routes and hot-read loaders call this. */
export async function findEvent(env: Env, eventId: string): Promise<EventRow | null> {
	const rows = await dbOf(env).select().from(schema.events).where(eq(schema.events.id, eventId)).limit(1);
	return rows[0] ?? null;
}
