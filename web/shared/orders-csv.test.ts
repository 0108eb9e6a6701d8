import { describe, expect, it } from "vitest";
import { beijingTime, ordersCsv } from "./orders-csv";

const order = {
	holdId: "h_abc",
	listingId: "1-15-02",
	buyerId: "b0006",
	status: "confirmed",
	priceCents: 386_000_000,
	createdAt: "2026-11-25T16:27:41.123Z",
	updatedAt: "2026-11-25T23:59:59.000Z",
};
const units = new Map([["1-15-02", { building: "1号楼", floor: 15, unit: "02" }]]);

describe("beijingTime", () => {
	it("is the wall clock in Beijing, eight hours ahead of UTC, across midnight", () => {
		expect(beijingTime("2026-11-25T16:27:41.123Z")).toBe("2026-11-26 00:27:41");
		expect(beijingTime("2026-11-25T01:02:03Z")).toBe("2026-11-25 09:02:03");
	});
});

describe("ordersCsv", () => {
	it("names units, statuses and times as a sales manager reads them, ids last", () => {
		const lines = ordersCsv([order], units, "zh").split("\r\n");
		expect(lines[0]).toBe("房源,买家,状态,总价（元）,锁定时间（北京时间）,更新时间（北京时间）,房源编号,锁定编号");
		expect(lines[1]).toBe("1号楼 1502,b0006,已认购,3860000.00,2026-11-26 00:27:41,2026-11-26 07:59:59,1-15-02,h_abc");
		expect(lines[2]).toBe("");
	});

	it("has English headers and statuses in English", () => {
		const [head, row] = ordersCsv([order], units, "en").split("\r\n");
		expect(head).toContain("Unit,Buyer,Status,Price (CNY)");
		expect(row).toContain(",purchased,");
	});

	it("keeps an unknown unit's id, and never lets a cell become a formula", () => {
		const csv = ordersCsv(
			[order, { ...order, listingId: "9-9-9" }],
			new Map([["1-15-02", { building: "=HYPERLINK(1)", floor: 1, unit: "01" }]]),
			"zh",
		);
		expect(csv).toContain("'=HYPERLINK(1) 101,");
		expect(csv).toContain("\r\n9-9-9,b0006,");
	});
});
