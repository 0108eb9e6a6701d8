// Rehearsals (模拟开盘) in D1: a practice copy of an event on the production path — the same listings,
// the same buyers with the same access-code hashes, the same mode, batches and terms — under its own
// id and times, marked `rehearsal_of`. Everything else in Kaipan is keyed by event id (orders, the
// ledger, notifications, the inventory, buyer and hub objects), so nothing the rehearsal does can
// reach the real event. The draw is not copied: revealing the real seed in a practice run would give
// it away before the real draw, so a rehearsal commits and reveals a practice seed of its own.
import type { D1Env } from "./client";

export interface RehearsalTimes {
	startsAt: string;
	endsAt: string;
}

export type RehearsalOutcome = { kind: "created" } | { kind: "exists" };

/**
 * Copies `sourceId` to `rehearsalId` in one D1 transaction: the event row (times replaced, status
 * back to auto, nothing opened, frozen or drawn; the name prefixed "[模拟开盘 rehearsal] " so that it
 * says what it is wherever a name is shown), its listings and its buyers. An id already taken
 * writes nothing (the plain INSERT fails and the whole batch with it).
 */
export async function createRehearsal(
	env: D1Env,
	sourceId: string,
	rehearsalId: string,
	times: RehearsalTimes,
	now: string,
): Promise<RehearsalOutcome> {
	// Three INSERT … SELECT statements over three tables: raw statements in one D1 batch (a transaction).
	const db = env.DB;
	try {
		await db.batch([
			db
				.prepare(
					`INSERT INTO events (id, name, starts_at, ends_at, hold_seconds, per_buyer_limit, currency, status_mode,
					   created_at, updated_at, mode, batch_size, batch_seconds, auto_claim_delay_seconds, rehearsal_of)
					 SELECT ?2, substr('[模拟开盘 rehearsal] ' || name, 1, 200), ?3, ?4, hold_seconds, per_buyer_limit,
					   currency, 'auto', ?5, ?5, mode, batch_size, batch_seconds, auto_claim_delay_seconds, id
					 FROM events WHERE id = ?1`,
				)
				.bind(sourceId, rehearsalId, times.startsAt, times.endsAt, now),
			db
				.prepare(
					`INSERT INTO listings (event_id, id, building, floor, unit, layout, area_m2, price_cents, stock)
					 SELECT ?2, id, building, floor, unit, layout, area_m2, price_cents, stock FROM listings WHERE event_id = ?1`,
				)
				.bind(sourceId, rehearsalId),
			db
				.prepare(
					`INSERT INTO buyers (event_id, id, name, phone, access_code_hash, created_at)
					 SELECT ?2, id, name, phone, access_code_hash, ?3 FROM buyers WHERE event_id = ?1`,
				)
				.bind(sourceId, rehearsalId, now),
		]);
		return { kind: "created" };
	} catch (err) {
		if (/UNIQUE constraint failed/i.test(String(err))) return { kind: "exists" };
		throw err;
	}
}
