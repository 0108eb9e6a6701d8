// The per-isolate read-through cache, driven by an explicit clock; plain Node, no bindings.
import { describe, expect, it } from "vitest";
import { TtlCache } from "./ttl-cache";

describe("TtlCache", () => {
	it("shares one load among concurrent misses and reloads after the TTL", async () => {
		const cache = new TtlCache<number>(100);
		let loads = 0;
		const load = async () => ++loads;
		const [a, b] = await Promise.all([cache.get("k", load, 0), cache.get("k", load, 0)]);
		expect([a, b, loads]).toEqual([1, 1, 1]);
		expect(await cache.get("k", load, 99)).toBe(1);
		expect(await cache.get("k", load, 100)).toBe(2);
	});
	it("does not keep a failed load", async () => {
		const cache = new TtlCache<number>(1_000);
		await expect(cache.get("k", () => Promise.reject(new Error("boom")), 0)).rejects.toThrow("boom");
		expect(await cache.get("k", async () => 7, 1)).toBe(7);
	});
	it("refuses a negative TTL at setup", () => {
		expect(() => new TtlCache(-1)).toThrow();
	});
});
