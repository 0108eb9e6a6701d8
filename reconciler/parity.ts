// Parity of an event: its inventory objects (the source of truth for holds) against D1's orders (the
// system of record, fed at least once through the orders queue). The Cron reconciler re-sends what
// this finds missing or stale; the operator's parity report shows it. This sits in its own folder,
// beside queue-consumers/ rather than in it: it is no queue's consumer but the one piece that reads
// both the objects and D1, and both the scheduled handler and an operator route use it, so neither
// worker/ (the HTTP edge, which lower layers must not import) nor durable-objects/ fits.
import { type OrderVersion, orderVersionsOf } from "../db/orders";
import { listingInventoryOf } from "../durable-objects/addresses";
import type { UnacknowledgedOrder } from "../durable-objects/listing-inventory";
import type { HoldRecord } from "../lib/hold-record";

/** A hold the object has and D1 lacks. */
export interface MissingOrder {
	holdId: string;
	listingId: string;
	status: string;
	version: number;
}

/** A hold D1 has at an older version than the object. */
export interface StaleOrder {
	holdId: string;
	listingId: string;
	objectStatus: string;
	objectVersion: number;
	d1Status: string;
	d1Version: number;
}

/** One listing's object compared with D1. */
export interface ListingParity {
	listingId: string;
	holds: number;
	unacknowledged: number;
	missing: MissingOrder[];
	stale: StaleOrder[];
}

/** An event's objects compared with D1: what GET /api/admin/events/:eventId/parity answers. */
export interface EventParity {
	eventId: string;
	listings: number;
	objectHolds: number;
	d1Orders: number;
	missing: MissingOrder[];
	stale: StaleOrder[];
	/** Orders in D1 that no inventory object of the event knows (should never happen; shown, not fixed). */
	unknown: string[];
	/** `orders` outbox rows D1 has not acknowledged yet (in flight, or waiting out an outage). */
	unacknowledged: number;
	inParity: boolean;
}

/** How many inventory objects are asked at once: enough to overlap round trips, few enough to be polite. */
const CONCURRENCY = 8;

/** D1's orders of an event by hold id. */
export async function d1OrdersOf(env: Env, eventId: string): Promise<Map<string, OrderVersion>> {
	return new Map((await orderVersionsOf(env, eventId)).map((o) => [o.holdId, o]));
}

/** Compares one object's holds with D1's orders. Pure. */
export function compareListing(
	listingId: string,
	state: { holds: readonly HoldRecord[]; unacknowledged: readonly UnacknowledgedOrder[] },
	d1: ReadonlyMap<string, OrderVersion>,
): ListingParity {
	const missing: MissingOrder[] = [];
	const stale: StaleOrder[] = [];
	for (const h of state.holds) {
		const order = d1.get(h.holdId);
		if (!order) missing.push({ holdId: h.holdId, listingId, status: h.status, version: h.version });
		else if (order.version < h.version) {
			stale.push({
				holdId: h.holdId,
				listingId,
				objectStatus: h.status,
				objectVersion: h.version,
				d1Status: order.status,
				d1Version: order.version,
			});
		}
	}
	return { listingId, holds: state.holds.length, unacknowledged: state.unacknowledged.length, missing, stale };
}

/** Asks each listing's object for its holds and compares them with `d1`, a few objects at a time. */
export async function checkListings(
	env: Env,
	eventId: string,
	listingIds: readonly string[],
	d1: ReadonlyMap<string, OrderVersion>,
): Promise<{ checked: ListingParity[]; failed: string[]; holdIds: Set<string> }> {
	const checked: ListingParity[] = [];
	const failed: string[] = [];
	const holdIds = new Set<string>();
	let next = 0;
	const worker = async () => {
		while (next < listingIds.length) {
			const listingId = listingIds[next++];
			if (listingId === undefined) return;
			try {
				const state = await listingInventoryOf(env, eventId, listingId).orderState();
				for (const h of state.holds) holdIds.add(h.holdId);
				checked.push(compareListing(listingId, state, d1));
			} catch (err) {
				console.warn("inventory object not reachable for parity", { eventId, listingId, error: String(err) });
				failed.push(listingId);
			}
		}
	};
	await Promise.all(Array.from({ length: Math.min(CONCURRENCY, listingIds.length) }, worker));
	checked.sort((a, b) => (a.listingId < b.listingId ? -1 : a.listingId > b.listingId ? 1 : 0));
	return { checked, failed, holdIds };
}

/** The whole event, every listing: the operator's report. Reads only. */
export async function eventParity(env: Env, eventId: string, listingIds: readonly string[]): Promise<EventParity> {
	const d1 = await d1OrdersOf(env, eventId);
	const { checked, failed, holdIds } = await checkListings(env, eventId, listingIds, d1);
	if (failed.length > 0) throw new Error(`inventory objects not reachable: ${failed.join(", ")}`);
	const missing = checked.flatMap((l) => l.missing);
	const stale = checked.flatMap((l) => l.stale);
	const unknown = [...d1.keys()].filter((id) => !holdIds.has(id)).sort();
	return {
		eventId,
		listings: listingIds.length,
		objectHolds: holdIds.size,
		d1Orders: d1.size,
		missing,
		stale,
		unknown,
		unacknowledged: checked.reduce((n, l) => n + l.unacknowledged, 0),
		inParity: missing.length === 0 && stale.length === 0 && unknown.length === 0,
	};
}
