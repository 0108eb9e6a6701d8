// Checks API.md's guarantees after a crowd, against D1 through the admin API — the system of record —
// and against what the crowd itself was told (every 201 it received).
//   1. no listing is held or sold beyond its stock;
//   2. no buyer holds more than perBuyerLimit units;
//   3. when demand exceeded supply, every unit is taken (nothing stranded);
//   4. every granted hold (each 201) is in D1 exactly once, for the buyer and listing it was granted to;
//   7. the event's ledger verifies from seq 1 to its head (lib/ledger-verifier.ts, the verifier's own
//      code), every 201 is granted in it exactly once, and every D1 order is in it with its status;
// and how long after the last grant D1 caught up with the inventory objects.
import { verifyLedgerExport } from "../../lib/ledger-verifier.ts";
import { adminRequest } from "../demo-data.mjs";
import { sleep } from "./load.mts";

export interface Grant {
	holdId: string;
	listingId: string;
	buyerId: string;
}

interface OrderRow {
	holdId: string;
	listingId: string;
	buyerId: string;
	status: string;
}

export interface Check {
	name: string;
	ok: boolean;
	detail: string;
}

export interface Verdict {
	checks: Check[];
	ok: boolean;
	/** Milliseconds from the last grant until D1 held every grant (null: it never did in time). */
	d1MatchMs: number | null;
	orders: number;
}

const ACTIVE = new Set(["held", "confirmed"]);

export async function readOrders(baseUrl: string, adminToken: string, eventId: string): Promise<OrderRow[]> {
	const rows: OrderRow[] = [];
	let cursor: string | null = null;
	// Bounded: 1,000 per page, and an event of this size has far fewer than 1,000 pages.
	for (let page = 0; page < 1_000; page++) {
		const q = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
		const res = (await adminRequest(
			baseUrl,
			adminToken,
			"GET",
			`/api/admin/events/${eventId}/orders?limit=1000${q}`,
		)) as { orders: OrderRow[]; nextCursor: string | null };
		rows.push(...res.orders);
		cursor = res.nextCursor;
		if (!cursor) return rows;
	}
	throw new Error("orders did not end within 1,000 pages");
}

/**
 * Watches D1's count of active orders while a crowd runs (the admin event counts, one cheap query
 * every `intervalMs`), so the time at which D1 caught up is known to within that interval even when
 * the crowd goes on long after its last grant.
 */
export class D1Watcher {
	private readonly samples: { at: number; active: number }[] = [];
	private running = true;
	private readonly loop: Promise<void>;

	constructor(baseUrl: string, adminToken: string, eventId: string, intervalMs = 200, maxMs = 600_000) {
		const stopAt = performance.now() + maxMs;
		this.loop = (async () => {
			while (this.running && performance.now() < stopAt) {
				try {
					const res = (await adminRequest(baseUrl, adminToken, "GET", `/api/admin/events/${eventId}`)) as {
						counts: { held: number; confirmed: number };
					};
					this.samples.push({ at: performance.now(), active: res.counts.held + res.counts.confirmed });
				} catch {
					// a failed sample is just a gap
				}
				await sleep(intervalMs);
			}
		})();
	}

	async stop(): Promise<void> {
		this.running = false;
		await this.loop;
	}

	/** performance.now() of the first sample at or after `since` that counted at least `n` active orders. */
	firstReached(n: number, since: number): number | null {
		return this.samples.find((s) => s.at >= since && s.active >= n)?.at ?? null;
	}
}

export async function verifyGuarantees(options: {
	baseUrl: string;
	adminToken: string;
	eventId: string;
	/** Every hold the crowd was granted (201), keyed by hold id. */
	grants: ReadonlyMap<string, Grant>;
	/** performance.now() when the last 201 arrived. */
	lastGrantAt: number;
	/** Whether the crowd asked for more units than there were (so every unit must be taken). */
	demandExceedsSupply: boolean;
	/** How long to wait for D1 to catch up before judging. */
	waitMs?: number;
	/** A watcher started with the crowd, for the exact catch-up time. */
	watcher?: D1Watcher;
}): Promise<Verdict> {
	const { baseUrl, adminToken, eventId, grants } = options;
	await options.watcher?.stop();
	const [{ event }, { listings }] = (await Promise.all([
		fetch(`${baseUrl}/api/events/${eventId}`).then((r) => r.json()),
		fetch(`${baseUrl}/api/events/${eventId}/listings`).then((r) => r.json()),
	])) as [{ event: { perBuyerLimit: number } }, { listings: { id: string; stock: number }[] }];

	// D1 is fed through the queue; poll until every grant is there (or the wait runs out).
	let orders: OrderRow[] = [];
	let d1MatchMs: number | null = null;
	const deadline = performance.now() + (options.waitMs ?? 30_000);
	while (performance.now() < deadline) {
		orders = await readOrders(baseUrl, adminToken, eventId);
		const active = orders.filter((o) => ACTIVE.has(o.status));
		const ids = new Set(orders.map((o) => o.holdId));
		if (active.length >= grants.size && [...grants.keys()].every((id) => ids.has(id))) {
			const watched = options.watcher?.firstReached(grants.size, options.lastGrantAt) ?? null;
			d1MatchMs = Math.max(0, (watched ?? performance.now()) - options.lastGrantAt);
			break;
		}
		await sleep(100);
	}
	const checks: Check[] = [];
	const active = orders.filter((o) => ACTIVE.has(o.status));

	const perListing = countBy(active, (o) => o.listingId);
	const stock = new Map(listings.map((l) => [l.id, l.stock]));
	const oversold = [...perListing].filter(([id, n]) => n > (stock.get(id) ?? 0));
	checks.push({
		name: "no listing over its stock",
		ok: oversold.length === 0,
		detail: oversold.length === 0 ? `${perListing.size} listings taken` : `oversold: ${fmt(oversold)}`,
	});

	const perBuyer = countBy(active, (o) => o.buyerId);
	const overLimit = [...perBuyer].filter(([, n]) => n > event.perBuyerLimit);
	checks.push({
		name: `no buyer over the limit (${event.perBuyerLimit})`,
		ok: overLimit.length === 0,
		detail: overLimit.length === 0 ? `${perBuyer.size} buyers hold units` : `over: ${fmt(overLimit)}`,
	});

	const supply = listings.reduce((sum, l) => sum + l.stock, 0);
	if (options.demandExceedsSupply) {
		const stranded = listings.filter((l) => (perListing.get(l.id) ?? 0) < l.stock);
		checks.push({
			name: "exact sell-out (demand exceeded supply)",
			ok: stranded.length === 0 && active.length === supply,
			detail: `${active.length} of ${supply} units held${
				stranded.length
					? `; left: ${stranded
							.map((l) => l.id)
							.slice(0, 10)
							.join(", ")}`
					: ""
			}`,
		});
	}

	const seen = countBy(orders, (o) => o.holdId);
	const byId = new Map(orders.map((o) => [o.holdId, o]));
	const missing = [...grants.keys()].filter((id) => !byId.has(id));
	const duplicated = [...grants.keys()].filter((id) => (seen.get(id) ?? 0) > 1);
	const mismatched = [...grants.values()].filter((g) => {
		const o = byId.get(g.holdId);
		return o !== undefined && (o.listingId !== g.listingId || o.buyerId !== g.buyerId || !ACTIVE.has(o.status));
	});
	checks.push({
		name: "every 201 exactly once in D1",
		ok: missing.length === 0 && duplicated.length === 0 && mismatched.length === 0,
		detail: `${grants.size} grants; missing ${missing.length}, duplicated ${duplicated.length}, wrong ${mismatched.length}; D1 has ${orders.length} orders`,
	});

	checks.push(await ledgerCheck(baseUrl, adminToken, eventId, grants, orders));

	checks.push({
		name: "D1 matches the inventory within 5 s of the last grant",
		ok: d1MatchMs !== null && d1MatchMs <= 5_000,
		detail: d1MatchMs === null ? "not within the wait" : `${(d1MatchMs / 1000).toFixed(2)} s`,
	});
	return { checks, ok: checks.every((c) => c.ok), d1MatchMs, orders: orders.length };
}

/**
 * Guarantee 7. The ledger is fed by the same outbox flush as the queue, straight to its object, so it
 * is normally complete before D1; still, it is read until it agrees or 10 s have passed.
 */
async function ledgerCheck(
	baseUrl: string,
	adminToken: string,
	eventId: string,
	grants: ReadonlyMap<string, Grant>,
	orders: readonly OrderRow[],
): Promise<Check> {
	const name = "ledger verifies, every 201 granted in it once, every order with its status";
	const deadline = performance.now() + 10_000;
	for (;;) {
		const res = await fetch(new URL(`/api/admin/events/${encodeURIComponent(eventId)}/ledger/export`, baseUrl), {
			headers: { authorization: `Bearer ${adminToken}` },
		});
		if (!res.ok) return { name, ok: false, detail: `export: ${res.status}` };
		const text = await res.text();
		const report = verifyLedgerExport(text, { orders });
		const grantedInLedger = countBy(
			text
				.split("\n")
				.filter((l) => l.includes('"kind":"hold_granted"'))
				.map((l) => JSON.parse(l) as { data: { holdId: string } }),
			(e) => e.data.holdId,
		);
		const missing = [...grants.keys()].filter((id) => grantedInLedger.get(id) !== 1);
		const ok = report.ok && missing.length === 0;
		if (ok || performance.now() > deadline) {
			const problems = [
				...report.problems.slice(0, 3),
				...(missing.length ? [`${missing.length} grants not once`] : []),
			];
			return {
				name,
				ok,
				detail: `${report.entries} entries (${report.holdEntries} of holds), head seq ${report.head.seq}${
					problems.length ? `; ${problems.join("; ")}` : ""
				}`,
			};
		}
		await sleep(200);
	}
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
	const counts = new Map<string, number>();
	for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
	return counts;
}

function fmt(entries: [string, number][]): string {
	return entries
		.slice(0, 10)
		.map(([k, n]) => `${k}×${n}`)
		.join(", ");
}
