// Fixtures for the db/ tests (the shape of workers-sdk's vitest d1 example: tests call the query
// functions directly against the real local D1, whose migrations test/setup.ts applied). Every fixture
// makes its own ids, so tests share the database without seeing each other's rows.
import { env } from "cloudflare:workers";
import type { BuyerRow } from "../../db/buyers";
import type { D1Env } from "../../db/client";
import { type EventFields, upsertEvent } from "../../db/events";
import type { ListingFields } from "../../db/listings";
import { uniqueId } from "../helpers";

export { holdRecord, uniqueId } from "../helpers";

/** An event row in D1 with a fresh id; the db/ functions below it need nothing else. */
export async function seededEventId(fields: Partial<EventFields> = {}): Promise<string> {
	const eventId = uniqueId("ev");
	await upsertEvent(env, eventId, eventFields(fields), new Date().toISOString());
	return eventId;
}

export function eventFields(fields: Partial<EventFields> = {}): EventFields {
	const now = Date.now();
	return {
		name: "DB test opening",
		startsAt: new Date(now + 3_600_000).toISOString(),
		endsAt: new Date(now + 7_200_000).toISOString(),
		holdSeconds: 900,
		perBuyerLimit: 1,
		currency: "CNY",
		...fields,
	};
}

/** The n-th listing of a catalogue: building 1, floor n, unit 01. */
export function listingFields(n: number, fields: Partial<ListingFields> = {}): ListingFields {
	return {
		id: `L${n}`,
		building: "1",
		floor: n,
		unit: "01",
		layout: "3室2厅",
		areaM2: 98.5,
		priceCents: 3_000_000_00 + n,
		stock: 1,
		...fields,
	};
}

/** The n-th buyer of an event, with a phone and a stand-in access-code hash. */
export function buyerRow(eventId: string, n: number, fields: Partial<BuyerRow> = {}): BuyerRow {
	return {
		eventId,
		id: `B${n}`,
		name: `Buyer ${n}`,
		phone: `+86138000000${String(n).padStart(2, "0")}`,
		accessCodeHash: `hash-${n}`,
		createdAt: new Date().toISOString(),
		...fields,
	};
}

/** One statement D1 was asked to run: its SQL and how many parameters it bound. */
export interface RecordedStatement {
	sql: string;
	parameters: number;
}

/**
 * The real D1 binding, with every statement it is given recorded: lets a test see how a bulk write was
 * split (local D1 enforces the 100-parameter limit too, so an unsplit write also fails outright).
 */
export function recordingD1(): { env: D1Env; statements: RecordedStatement[] } {
	const statements: RecordedStatement[] = [];
	const db = env.DB;
	const recording = new Proxy(db, {
		get(target, prop) {
			if (prop === "prepare") {
				return (query: string) => {
					const stmt = target.prepare(query);
					const entry = { sql: query, parameters: 0 };
					statements.push(entry);
					return new Proxy(stmt, {
						get(s, p) {
							if (p === "bind") {
								return (...values: unknown[]) => {
									entry.parameters = values.length;
									return s.bind(...values);
								};
							}
							const value = Reflect.get(s, p, s) as unknown;
							return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(s) : value;
						},
					});
				};
			}
			const value = Reflect.get(target, prop, target) as unknown;
			return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
		},
	});
	return { env: { DB: recording }, statements };
}
