import { describe, expect, it } from "vitest";
import { inputOfListing, stableHash } from "./feed-partition";

describe("inputOfListing", () => {
	it("is stable: the same listing goes to the same input, every time and in every caller", () => {
		for (const id of ["L1", "L2", "B1-1502", "一号楼-0101"]) {
			expect(inputOfListing(id, 4)).toBe(inputOfListing(id, 4));
			expect(inputOfListing(id, 4)).toBe(stableHash(id) % 4);
		}
		// Pinned values: a change of hash would move listings between inputs of an event in flight.
		expect([stableHash(""), stableHash("L1"), stableHash("a")]).toEqual([0x811c9dc5, 0x17e1cc6e, 0xe40c292c]);
	});

	it("stays within 0 … K − 1 and spreads listing ids evenly", () => {
		const K = 10;
		const counts = new Array<number>(K).fill(0);
		for (let i = 1; i <= 5_000; i++) {
			const k = inputOfListing(`L${i}`, K);
			expect(k).toBeGreaterThanOrEqual(0);
			expect(k).toBeLessThan(K);
			counts[k] = (counts[k] ?? 0) + 1;
		}
		// 500 each on average; an input twice as loaded as another would halve what K buys.
		for (const n of counts) expect(n).toBeGreaterThan(350);
		for (const n of counts) expect(n).toBeLessThan(650);
	});

	it("K = 1 is one input; a K below 1 or not whole is a programming error", () => {
		expect(inputOfListing("anything", 1)).toBe(0);
		expect(() => inputOfListing("L1", 0)).toThrow();
		expect(() => inputOfListing("L1", 2.5)).toThrow();
	});
});
