// The opening's preparation (docs/SCALE.md fix 1, docs/OPERATIONS.md "Preparing an opening"): before
// the first claim, freeze the event's terms in D1 and create every object the opening will use — each
// listing's inventory object (handed its terms), the ledger, the hub — in the event's region. Without
// it, the opening's first second is when every listing object reads its terms from D1 and every buyer
// object its rules (D1's one thread, 415× over at 1M buyers in the model), and each object is created
// near whichever buyer touched it first (the nearest buyer's head start; docs/FAIRNESS.md).
//
// Two ways in, the same work: the operator's `POST /api/admin/events/:eventId/prepare` (one slice of
// listings per call; the answer names the next), and the minute cron, which prepares every event that
// starts within PREPARE_AHEAD_MS and was not prepared yet (reconciler hook in worker/index.ts).
// Repeating it is harmless: the freeze stamps once, an object keeps the terms it has.
import { and, gt, isNull, lte, ne } from "drizzle-orm";
import { dbOf, schema } from "../../db/client";
import { freezeEventTerms, markPrepared } from "../../db/terms";
import {
	dashboardHubOf,
	eventLedgerOf,
	feedInputOf,
	listingInventoryOf,
	rememberRegion,
} from "../../durable-objects/addresses";
import { liveConfig } from "../../durable-objects/live-config";
import { invalidateEvent } from "../hot-reads/catalogue";

/**
 * Listings one route call prepares: each is a subrequest, and a slice keeps one call short (Workers
 * Paid allows 10,000 subrequests per invocation: https://developers.cloudflare.com/workers/platform/limits/).
 */
export const PREPARE_SLICE = 500;
/** RPCs in flight at once while preparing a slice. */
const IN_FLIGHT = 50;
/** The cron prepares an event this long before its startsAt (and any time after it, until it is). */
export const PREPARE_AHEAD_MS = 2 * 60_000;

export interface PrepareResult {
	frozenAt: string;
	region: string | null;
	/** Listing objects created (or found) and given their terms by this call. */
	prepared: number;
	/** The last listing id of this slice when more follow (pass it as `after`), else null. */
	next: string | null;
}

/** Prepares one slice of the event's listings (the first slice also the ledger, the hub and the feed inputs). */
export async function prepareEvent(
	env: Env,
	eventId: string,
	after: string | null = null,
	limit = PREPARE_SLICE,
): Promise<PrepareResult | null> {
	const terms = await freezeEventTerms(env, eventId, new Date().toISOString(), { after, limit: limit + 1 });
	if (!terms) return null;
	// The stubs below carry the event's region: this is where the objects are created.
	rememberRegion(eventId, terms.region);
	// The edge's copies of the event must show the terms frozen (so claims pass the frozen rules).
	await invalidateEvent(eventId);
	const slice = terms.listings.slice(0, limit);
	const work: (() => Promise<unknown>)[] = slice.map(
		(t) => () => listingInventoryOf(env, eventId, t.listingId).prepare(t, terms.shuffle),
	);
	if (after === null) {
		work.push(() => eventLedgerOf(env, eventId).head());
		work.push(() => dashboardHubOf(env, eventId).connections());
		// The live feed's inputs, each with its listings read from D1 before the first grant arrives.
		for (let k = 0; k < liveConfig(env).feedInputs; k++)
			work.push(() => feedInputOf(env, eventId, k).prepare(eventId, k));
	}
	for (let i = 0; i < work.length; i += IN_FLIGHT) {
		await Promise.all(work.slice(i, i + IN_FLIGHT).map((run) => run()));
	}
	const more = terms.listings.length > limit;
	if (!more) await markPrepared(env, eventId, new Date().toISOString());
	return {
		frozenAt: terms.frozenAt,
		region: terms.region,
		prepared: slice.length,
		next: more ? (slice.at(-1)?.listingId ?? null) : null,
	};
}

/**
 * The cron's part: events that start within PREPARE_AHEAD_MS (or already did, and are not closed by
 * the clock) and were never prepared, every slice of each. At most `maxEvents` per run. A failure is
 * logged and tried again next minute.
 */
export async function prepareDueEvents(env: Env, nowMs: number, maxEvents = 10): Promise<number> {
	const e = schema.events;
	const now = new Date(nowMs).toISOString();
	const soon = new Date(nowMs + PREPARE_AHEAD_MS).toISOString();
	const due = await dbOf(env)
		.select({ id: e.id })
		.from(e)
		.where(and(isNull(e.preparedAt), lte(e.startsAt, soon), gt(e.endsAt, now), ne(e.statusMode, "closed")))
		.limit(maxEvents);
	let done = 0;
	for (const { id } of due) {
		try {
			let after: string | null = null;
			do {
				const result: PrepareResult | null = await prepareEvent(env, id, after);
				after = result?.next ?? null;
			} while (after !== null);
			done += 1;
		} catch (err) {
			console.warn("preparing the opening failed; the next minute tries again", { eventId: id, error: String(err) });
		}
	}
	return done;
}
