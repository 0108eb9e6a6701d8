import { describe, expect, it } from "vitest";
import { unitLabel, unitLabelOf } from "./units";

describe("unitLabel", () => {
	it("names a unit as its door does: building, then floor and unit run together", () => {
		expect(unitLabel({ building: "1号楼", floor: 15, unit: "02" })).toBe("1号楼 1502");
		expect(unitLabel({ building: "2号楼", floor: 2, unit: "03" })).toBe("2号楼 203");
	});

	it("falls back to the listing id for a unit the page does not know", () => {
		const known = new Map([["1-15-02", { building: "1号楼", floor: 15, unit: "02" }]]);
		expect(unitLabelOf("1-15-02", (id) => known.get(id))).toBe("1号楼 1502");
		expect(unitLabelOf("9-01-01", (id) => known.get(id))).toBe("9-01-01");
	});
});
