// The wait bound: a settled promise passes through; one that does not settle in time is given up on.
import { describe, expect, it } from "vitest";
import { withinTime } from "./within-time";

describe("withinTime", () => {
	it("passes a value or an error through when it comes in time", async () => {
		expect(await withinTime(Promise.resolve(7), 50)).toBe(7);
		await expect(withinTime(Promise.reject(new Error("boom")), 50)).rejects.toThrow("boom");
	});

	it("gives up on a promise that does not settle in time", async () => {
		await expect(withinTime(new Promise(() => undefined), 10)).rejects.toThrow("no answer within 10 ms");
	});
});
