import { describe, expect, it } from "vitest";
import { isFloorPlanUrl, isOrientation, ORIENTATIONS } from "./listing-details";

describe("isFloorPlanUrl", () => {
	it("takes https URLs and absolute paths of the site", () => {
		for (const ok of ["https://cdn.example.com/plans/a.svg", "/floorplans/3br.svg", "/a%20b.png"]) {
			expect(isFloorPlanUrl(ok), ok).toBe(true);
		}
	});
	it("refuses anything that could run, leak or resolve elsewhere", () => {
		for (const bad of [
			"",
			"http://example.com/a.svg",
			"javascript:alert(1)",
			"data:image/svg+xml,<svg/>",
			"//evil.example/a.svg",
			"floorplans/a.svg",
			"/floorplans/../admin",
			"/a.svg?x=<b>",
			"https://user:pw@example.com/a.svg",
			`/${"a".repeat(600)}`,
		]) {
			expect(isFloorPlanUrl(bad), bad).toBe(false);
		}
	});
});

describe("isOrientation", () => {
	it("is the closed set", () => {
		for (const o of ORIENTATIONS) expect(isOrientation(o)).toBe(true);
		for (const bad of ["朝南", "南 北", "S", ""]) expect(isOrientation(bad)).toBe(false);
	});
});
