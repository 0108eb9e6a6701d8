import { describe, expect, it } from "vitest";
import { unitLabel } from "./unit-label";

describe("unitLabel", () => {
	it("names a unit as people say it: building, then floor and unit together", () => {
		expect(unitLabel({ building: "1号楼", floor: 15, unit: "02" }, "zh")).toBe("1号楼 1502");
		expect(unitLabel({ building: "1号楼", floor: 15, unit: "02" }, "en")).toBe("1号楼 1502");
	});

	it("says a basement floor as a basement, never as a minus sign", () => {
		expect(unitLabel({ building: "A", floor: -1, unit: "03" }, "zh")).toBe("A 地下1层03");
		expect(unitLabel({ building: "A", floor: -1, unit: "03" }, "en")).toBe("A B1-03");
	});
});
