import { describe, expect, it } from "vitest";
import type { Order } from "../../client/api-types";
import { holdsByTimeLeft, holdsCsv, percent, summaryCsv, totalsBy } from "./sales-sheet";

const units = [
	{ id: "1-15-02", building: "1号楼", floor: 15, unit: "02", layout: "三室两厅", stock: 1 },
	{ id: "1-16-01", building: "1号楼", floor: 16, unit: "01", layout: "两室一厅", stock: 1 },
	{ id: "2-03-01", building: "2号楼", floor: 3, unit: "01", layout: "三室两厅", stock: 2 },
];
const byId = new Map(units.map((u) => [u.id, u]));
const order = (holdId: string, listingId: string, buyerId: string, status: string, createdAt: string): Order => ({
	holdId,
	listingId,
	buyerId,
	status,
	priceCents: 300_000_000,
	createdAt,
	updatedAt: createdAt,
});
const orders = [
	order("h1", "1-15-02", "b1", "held", "2026-11-25T02:00:30.000Z"),
	order("h2", "2-03-01", "b2", "held", "2026-11-25T02:00:10.000Z"),
	order("h3", "2-03-01", "b3", "confirmed", "2026-11-25T01:59:00.000Z"),
	order("h4", "1-16-01", "b4", "released", "2026-11-25T01:58:00.000Z"),
];
const buyers = new Map([
	["b1", { id: "b1", name: "张三", phone: "+8613800000001" }],
	["b2", { id: "b2", name: '=HYPERLINK("x")', phone: null }],
]);

describe("holdsByTimeLeft", () => {
	it("lists only held orders, least time left first, with readable unit names and the buyer to call", () => {
		const holds = holdsByTimeLeft(orders, byId, buyers, 300);
		expect(holds.map((h) => [h.holdId, h.unit, h.name, h.phone])).toEqual([
			["h2", "2号楼 301", '=HYPERLINK("x")', null],
			["h1", "1号楼 1502", "张三", "+8613800000001"],
		]);
		expect(holds[0]?.expiresAt).toBe(Date.parse("2026-11-25T02:05:10.000Z"));
	});
});

describe("totalsBy", () => {
	it("adds units, sold, on hold and available by building and by layout, with sell-through", () => {
		const building = totalsBy("building", units, orders);
		expect(building.groups).toEqual([
			{ group: "1号楼", units: 2, sold: 0, held: 1, available: 1, sellThrough: 0 },
			{ group: "2号楼", units: 2, sold: 1, held: 1, available: 0, sellThrough: 0.5 },
		]);
		expect(building.total).toEqual({ group: null, units: 4, sold: 1, held: 2, available: 1, sellThrough: 0.25 });
		const layout = totalsBy("layout", units, orders);
		expect(layout.groups.map((g) => [g.group, g.units, g.sold])).toEqual([
			["三室两厅", 3, 1],
			["两室一厅", 1, 0],
		]);
		expect(percent(1 / 3)).toBe("33.3%");
	});
});

describe("the exports", () => {
	it("holds: readable units, Beijing time, formulas kept inert", () => {
		const text = holdsCsv(holdsByTimeLeft(orders, byId, buyers, 300), "zh");
		const lines = text.split("\r\n");
		expect(lines[0]).toBe("房源,买家姓名,电话,锁定时间（北京时间）,到期时间（北京时间）,买家,房源编号,锁定编号");
		expect(lines[1]).toBe(`2号楼 301,"'=HYPERLINK(""x"")",,2026-11-25 10:00:10,2026-11-25 10:05:10,b2,2-03-01,h2`);
		expect(lines[2]).toBe("1号楼 1502,张三,'+8613800000001,2026-11-25 10:00:30,2026-11-25 10:05:30,b1,1-15-02,h1");
		expect(text.endsWith("\r\n")).toBe(true);
	});

	it("summary: by building then by layout, each with its total", () => {
		const text = summaryCsv(totalsBy("building", units, orders), totalsBy("layout", units, orders), "en");
		expect(text.split("\r\n").slice(0, 4)).toEqual([
			"Group,Building/layout,Units,Sold,On hold,Available,Sell-through",
			"Building,1号楼,2,0,1,1,0.0%",
			"Building,2号楼,2,1,1,0,50.0%",
			"Building,Total,4,1,2,1,25.0%",
		]);
	});
});
