// The Cron Trigger's job (every minute, wrangler.toml [triggers]): bring D1's orders back to parity
// with the inventory objects, whatever happened to the queue or to D1 in between. For open and
// recently ended events it asks each listing's object for its holds, compares them with D1, and has
// the object re-send (through its outbox, so the usual at-least-once path and the consumer's
// acknowledgement apply) every hold D1 lacks or has at an older version. It is the backstop behind
// the outbox: it also repairs objects whose rows were deleted before rows were kept until
// acknowledged. Idempotent (a re-send of a version D1 has changes nothing) and bounded: at most
// MAX_EVENTS events and MAX_LISTINGS_PER_RUN objects a run; a larger set is covered in turns.
import { eventsToReconcile } from "../db/events";
import { listingsOf } from "../db/listings";
import { listingInventoryOf } from "../durable-objects/addresses";
import { checkListings, d1OrdersOf } from "./parity";

/** Events that ended longer ago than this are left alone (the outbox still re-sends their rows). */
export const RECONCILE_WINDOW_MS = 24 * 3_600_000;
/** Events looked at per run. */
export const MAX_EVENTS = 50;
/** Inventory objects asked per run (each is a subrequest): the run's whole budget. */
export const MAX_LISTINGS_PER_RUN = 300;

export interface ReconcileReport {
	events: number;
	/** Objects asked in this run (≤ MAX_LISTINGS_PER_RUN). */
	listings: number;
	/** Holds the objects were asked to re-send. */
	resent: number;
	/** Objects that did not answer; the next turn asks them again. */
	failed: number;
}

interface Target {
	eventId: string;
	listingId: string;
}

/** One run at `now` (the Cron's scheduled time, which also picks this run's turn). */
export async function reconcileOrders(env: Env, now: number): Promise<ReconcileReport> {
	const events = await eventsToReconcile(
		env,
		new Date(now).toISOString(),
		new Date(now - RECONCILE_WINDOW_MS).toISOString(),
		MAX_EVENTS,
	);
	const all: Target[] = [];
	for (const { id } of events) {
		const ids = (await listingsOf(env, id)).map((l) => l.id).sort();
		for (const listingId of ids) all.push({ eventId: id, listingId });
	}
	const targets = turnOf(all, Math.floor(now / 60_000), MAX_LISTINGS_PER_RUN);

	const report: ReconcileReport = { events: events.length, listings: targets.length, resent: 0, failed: 0 };
	const byEvent = new Map<string, string[]>();
	for (const t of targets) byEvent.set(t.eventId, [...(byEvent.get(t.eventId) ?? []), t.listingId]);
	for (const [eventId, listingIds] of byEvent) {
		const d1 = await d1OrdersOf(env, eventId);
		const { checked, failed } = await checkListings(env, eventId, listingIds, d1);
		report.failed += failed.length;
		for (const listing of checked) {
			const behind = [...listing.missing, ...listing.stale].map((o) => o.holdId);
			if (behind.length === 0) continue;
			try {
				report.resent += await listingInventoryOf(env, eventId, listing.listingId).resend(behind);
			} catch (err) {
				report.failed += 1;
				console.warn("re-send not queued; the next run tries again", {
					eventId,
					listingId: listing.listingId,
					error: String(err),
				});
			}
		}
	}
	if (report.resent > 0 || report.failed > 0) console.warn("orders reconciler", report);
	return report;
}

/**
 * The slice of `all` this run looks at: everything when it fits the budget, else `budget` items from
 * a start that moves by `budget` every minute (wrapping), so every object is asked within
 * ceil(all / budget) minutes.
 */
export function turnOf<T>(all: readonly T[], minute: number, budget: number): T[] {
	if (all.length <= budget) return [...all];
	const start = (minute * budget) % all.length;
	return [...all.slice(start), ...all.slice(0, start)].slice(0, budget);
}
