// The sales control sheet (销控表) a sales manager keeps during an opening (issue 13): every unit on
// hold, least time left first, with the buyer to call; and the totals — units, sold, on hold,
// available, sell-through — by building and by layout. Pure: the dashboard (web/dashboard/sales-sheet.ts)
// feeds it D1's orders, the catalogue and the buyers, and draws what it returns; the exports are the
// same rows as CSV, written by orders-csv.ts's one CSV writer (readable unit names, Beijing time).
import type { Order } from "../../client/api-types";
import type { BuyerContact } from "./admin-api";
import type { Lang } from "./i18n";
import { MESSAGES } from "./messages";
import { beijingTime, csvDocument, inert } from "./orders-csv";
import { type UnitPlace, unitLabel } from "./units";

/** A unit of the catalogue as the sheet needs it. */
export interface SheetUnit extends UnitPlace {
	id: string;
	layout: string;
	stock: number;
}

/** One hold on the sheet: a `held` order with its unit, its buyer and when it runs out. */
export interface SheetHold {
	holdId: string;
	listingId: string;
	unit: string;
	buyerId: string;
	name: string | null;
	phone: string | null;
	heldAt: string;
	/** Epoch ms: the order's creation plus the event's hold time (the inventory object's own rule). */
	expiresAt: number;
}

/** One line of the totals: a building or a layout (or the whole event, `group` null). */
export interface SheetTotal {
	group: string | null;
	units: number;
	sold: number;
	held: number;
	available: number;
	/** sold / units, 0–1 (0 for a group without units). */
	sellThrough: number;
}

/** The holds still `held`, least time left first (then the oldest, then by id: a stable order). */
export function holdsByTimeLeft(
	orders: readonly Order[],
	units: ReadonlyMap<string, SheetUnit>,
	buyers: ReadonlyMap<string, BuyerContact>,
	holdSeconds: number,
): SheetHold[] {
	return orders
		.filter((o) => o.status === "held")
		.map((o) => {
			const unit = units.get(o.listingId);
			const buyer = buyers.get(o.buyerId);
			return {
				holdId: o.holdId,
				listingId: o.listingId,
				unit: unit ? unitLabel(unit) : o.listingId,
				buyerId: o.buyerId,
				name: buyer?.name ?? null,
				phone: buyer?.phone ?? null,
				heldAt: o.createdAt,
				expiresAt: Date.parse(o.createdAt) + holdSeconds * 1000,
			};
		})
		.sort((a, b) => a.expiresAt - b.expiresAt || a.heldAt.localeCompare(b.heldAt) || a.holdId.localeCompare(b.holdId));
}

/**
 * Totals by `by` (building or layout), in the catalogue's order of first appearance, then the total
 * over all. A unit's stock counts once; sold are its confirmed orders, on hold its held ones, and the
 * rest is available (never below zero, should D1 briefly disagree with the catalogue).
 */
export function totalsBy(
	by: "building" | "layout",
	units: readonly SheetUnit[],
	orders: readonly Order[],
): { groups: SheetTotal[]; total: SheetTotal } {
	const sold = new Map<string, number>();
	const held = new Map<string, number>();
	for (const o of orders) {
		const into = o.status === "confirmed" ? sold : o.status === "held" ? held : null;
		into?.set(o.listingId, (into.get(o.listingId) ?? 0) + 1);
	}
	const groups = new Map<string, SheetTotal>();
	const total: SheetTotal = { group: null, units: 0, sold: 0, held: 0, available: 0, sellThrough: 0 };
	for (const u of units) {
		const key = u[by];
		let g = groups.get(key);
		if (!g) {
			g = { group: key, units: 0, sold: 0, held: 0, available: 0, sellThrough: 0 };
			groups.set(key, g);
		}
		const s = Math.min(u.stock, sold.get(u.id) ?? 0);
		const h = Math.min(u.stock - s, held.get(u.id) ?? 0);
		for (const into of [g, total]) {
			into.units += u.stock;
			into.sold += s;
			into.held += h;
			into.available += u.stock - s - h;
		}
	}
	const withRate = (g: SheetTotal): SheetTotal => ({ ...g, sellThrough: g.units > 0 ? g.sold / g.units : 0 });
	return { groups: [...groups.values()].map(withRate), total: withRate(total) };
}

/** "37.5%": one decimal, as a sales report says it. */
export function percent(rate: number): string {
	return `${(Math.round(rate * 1000) / 10).toFixed(1)}%`;
}

/** The holds export: unit, buyer, phone, held at and expires at in Beijing time, then the ids. */
export function holdsCsv(holds: readonly SheetHold[], lang: Lang): string {
	const m = MESSAGES[lang];
	return csvDocument(
		[m.csvUnit, m.csvBuyerName, m.csvPhone, m.csvCreated, m.csvExpires, m.csvBuyer, m.csvListingId, m.csvHoldId],
		holds.map((h) => [
			inert(h.unit),
			inert(h.name ?? ""),
			inert(h.phone ?? ""),
			beijingTime(h.heldAt),
			beijingTime(new Date(h.expiresAt).toISOString()),
			h.buyerId,
			h.listingId,
			h.holdId,
		]),
	);
}

/** The summary export: by building, then by layout, each with its own total line. */
export function summaryCsv(
	byBuilding: ReturnType<typeof totalsBy>,
	byLayout: ReturnType<typeof totalsBy>,
	lang: Lang,
): string {
	const m = MESSAGES[lang];
	const rows = (kind: string, t: ReturnType<typeof totalsBy>) =>
		[...t.groups, t.total].map((g) => [
			kind,
			inert(g.group ?? m.salesTotal),
			g.units,
			g.sold,
			g.held,
			g.available,
			percent(g.sellThrough),
		]);
	return csvDocument(
		[m.csvGroupBy, m.csvGroupValue, m.colUnits, m.colSold, m.colHeldNow, m.colAvailableNow, m.colSellThrough],
		[...rows(m.colBuilding, byBuilding), ...rows(m.colLayout, byLayout)],
	);
}
