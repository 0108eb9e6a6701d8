// The per-isolate read-through cache, driven by an explicit clock; plain Node, no bindings.
import { describe, expect, it } from "vitest";
import { TtlCache } from "./ttl-cache";

describe("TtlCache", () => {
	it("serves a settled value from memory and reloads after the TTL", async () => {
		const cache = new TtlCache<number>(100);
		let loads = 0;
		const load = async () => ++loads;
		expect(await cache.get("k", load, 0)).toBe(1);
		expect(await cache.get("k", load, 99)).toBe(1);
		expect(await cache.get("k", load, 100)).toBe(2);
	});

	it("never hands one caller's load in flight to another (issue 10: no I/O crosses requests)", async () => {
		const cache = new TtlCache<{ n: number }>(1_000);
		const started: Array<(v: { n: number }) => void> = [];
		const load = () => new Promise<{ n: number }>((resolve) => started.push(resolve));
		const a = cache.get("k", load, 0);
		const b = cache.get("k", load, 0);
		await Promise.resolve();
		// Each caller runs its own load: neither awaits a promise the other one's I/O settles.
		expect(started).toHaveLength(2);
		started[0]?.({ n: 1 });
		started[1]?.({ n: 2 });
		expect([(await a).n, (await b).n]).toEqual([1, 2]);
		expect((await cache.get("k", load, 1)).n).toBe(2);
	});

	it("at expiry one caller reloads while the others get the previous value at once (no herd, nothing shared)", async () => {
		const cache = new TtlCache<number>(100);
		let loads = 0;
		await cache.get("k", async () => ++loads, 0);
		let release: (v: number) => void = () => undefined;
		const refresher = cache.get("k", () => new Promise<number>((r) => (release = r)), 100);
		// While that reload is out, the crowd is served the value it replaces, and loads nothing.
		for (let t = 101; t < 150; t++) expect(await cache.get("k", async () => ++loads, t)).toBe(1);
		expect(loads).toBe(1);
		release(2);
		expect(await refresher).toBe(2);
		expect(await cache.get("k", async () => ++loads, 150)).toBe(2);
		// Past its grace (one more TTL) a value is never served: the caller loads for itself.
		expect(await cache.get("k", async () => 9, 400)).toBe(9);
	});

	it("does not keep a failed load", async () => {
		const cache = new TtlCache<number>(1_000);
		await expect(cache.get("k", () => Promise.reject(new Error("boom")), 0)).rejects.toThrow("boom");
		expect(await cache.get("k", async () => 7, 1)).toBe(7);
	});

	it("evicts the least recently used entry, not everything", async () => {
		const cache = new TtlCache<string>(10_000, 3);
		for (const k of ["a", "b", "c"]) await cache.get(k, async () => k, 0);
		await cache.get("a", async () => "reloaded", 1); // a is now the most recent
		await cache.get("d", async () => "d", 2); // evicts b, the least recent
		expect(await cache.get("a", async () => "reloaded", 3)).toBe("a");
		expect(await cache.get("c", async () => "reloaded", 3)).toBe("c");
		expect(await cache.get("b", async () => "reloaded", 3)).toBe("reloaded");
		expect(cache.sizes().hits).toBe(3);
	});

	it("remembers misses briefly, apart: a flood of unknown keys never evicts a real entry", async () => {
		const cache = new TtlCache<string | null>(10_000, 2, { isMiss: (v) => v === null, ttlMs: 50, maxEntries: 100 });
		await cache.get("real", async () => "event", 0);
		let loads = 0;
		const miss = async () => {
			loads += 1;
			return null;
		};
		for (let i = 0; i < 10_000; i++) await cache.get(`random-${i}`, miss, 1);
		expect(loads).toBe(10_000);
		expect(cache.sizes()).toEqual({ hits: 1, misses: 100 });
		expect(await cache.get("real", async () => "reloaded", 2)).toBe("event");
		// The same unknown id again within the miss TTL costs nothing; after it, one load.
		await cache.get("random-9999", miss, 40);
		expect(loads).toBe(10_000);
		await cache.get("random-9999", miss, 51);
		expect(loads).toBe(10_001);
	});

	it("does not store a value loaded before an invalidation", async () => {
		const cache = new TtlCache<number>(1_000);
		let release: (v: number) => void = () => undefined;
		const stale = cache.get("k", () => new Promise<number>((r) => (release = r)), 0);
		cache.delete("k");
		release(1);
		expect(await stale).toBe(1);
		expect(await cache.get("k", async () => 2, 1)).toBe(2);
	});

	it("refuses a negative TTL or an empty capacity at setup", () => {
		expect(() => new TtlCache(-1)).toThrow();
		expect(() => new TtlCache(1, 1, undefined, -1)).toThrow();
		expect(() => new TtlCache(1, 0)).toThrow();
	});
});
