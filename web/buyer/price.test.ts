import { describe, expect, it } from "vitest";
import { formatPerM2, formatTotal, wanToCents } from "./price";

describe("formatTotal", () => {
	it("says a CNY price in 万元 with at most two decimals, from integer cents", () => {
		expect(formatTotal(550_010_000, "CNY", "zh")).toBe("550.01 万元");
		expect(formatTotal(600_000_000, "CNY", "zh")).toBe("600 万元");
		// 5,500,149 yuan → 550.0149 万元 → 550.01; 5,500,150 → 550.02 (half up)
		expect(formatTotal(550_014_900, "CNY", "zh")).toBe("550.01 万元");
		expect(formatTotal(550_015_000, "CNY", "zh")).toBe("550.02 万元");
		expect(formatTotal(12_345_678_900, "CNY", "zh")).toBe("12,345.68 万元");
	});
	it("says it in full in English and for other currencies", () => {
		expect(formatTotal(550_010_000, "CNY", "en")).toBe("CN¥5,500,100");
		expect(formatTotal(123_400, "USD", "zh")).toBe("US$1,234");
	});
});

describe("formatPerM2", () => {
	it("divides the total by the area, in whole yuan", () => {
		// The demo's 1号楼 101: 128.6 ㎡ at 43,850 yuan/㎡ (5,639,110 yuan).
		expect(formatPerM2(563_911_000, 128.6, "CNY", "zh")).toBe("43,850 元/㎡");
		expect(formatPerM2(100_000, 3, "CNY", "zh")).toBe("333 元/㎡");
		expect(formatPerM2(563_911_000, 128.6, "CNY", "en")).toBe("CN¥43,850/㎡");
		expect(formatPerM2(1, 0, "CNY", "zh")).toBe("");
	});
});

describe("wanToCents", () => {
	it("reads a typed amount of 万元", () => {
		expect(wanToCents("550")).toBe(550_000_000);
		expect(wanToCents(" 550.5 ")).toBe(550_500_000);
		expect(wanToCents("")).toBeNull();
		expect(wanToCents("abc")).toBeNull();
		expect(wanToCents("-1")).toBeNull();
	});
});
