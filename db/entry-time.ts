// A buyer's entry time as D1 has it now (API.md v1.1 "Entry in batches"): the opening for a race
// event, openedAt + batch × batchSeconds in a drawn lottery event, null before the reveal. The
// buyer's object reads it when its auto-claim alarm fires, so the answer reflects the opening as it
// actually happened, not as it was planned when the alarm was set.
import { entryAt } from "../lib/draw";
import { openedAtMs } from "../lib/event-rules";
import type { D1Env } from "./client";
import { type EventRow, findEvent } from "./events";

/** 0-based position of `buyerId` in the event's published order; null before the reveal or if absent. */
export async function drawPositionOf(env: D1Env, eventId: string, buyerId: string): Promise<number | null> {
	const row = await env.DB.prepare(
		`SELECT CAST(j.key AS INTEGER) AS position FROM draw_orders d, json_each(d.order_json) j
		 WHERE d.event_id = ?1 AND j.value = ?2 LIMIT 1`,
	)
		.bind(eventId, buyerId)
		.first<{ position: number }>();
	return row?.position ?? null;
}

/** The event (null if gone) and the buyer's entry time in epoch ms (null where API.md has none yet). */
export async function entryTimeOf(
	env: D1Env,
	eventId: string,
	buyerId: string,
): Promise<{ event: EventRow | null; entryAtMs: number | null }> {
	const event = await findEvent(env, eventId);
	if (!event) return { event: null, entryAtMs: null };
	if (event.mode !== "lottery") return { event, entryAtMs: openedAtMs(event) };
	if (!event.drawnAt) return { event, entryAtMs: null };
	const position = await drawPositionOf(env, eventId, buyerId);
	if (position === null) return { event, entryAtMs: null };
	return { event, entryAtMs: entryAt(openedAtMs(event), position, event.batchSize, event.batchSeconds) };
}
