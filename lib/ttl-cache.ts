// A per-isolate read-through cache. Concurrent misses for one key share a single load, so a flash
// crowd arriving at a cold isolate costs one D1 query, not one per request.

interface Entry<V> {
	value: Promise<V>;
	expiresAt: number;
}

export class TtlCache<V> {
	private readonly entries = new Map<string, Entry<V>>();

	constructor(
		private readonly ttlMs: number,
		private readonly maxEntries = 1_000,
	) {
		if (ttlMs < 0) throw new Error("TtlCache: ttlMs must be >= 0");
	}

	get(key: string, load: () => Promise<V>, now = Date.now()): Promise<V> {
		const hit = this.entries.get(key);
		if (hit && hit.expiresAt > now) return hit.value;
		if (this.entries.size >= this.maxEntries) this.entries.clear();
		const value = load();
		this.entries.set(key, { value, expiresAt: now + this.ttlMs });
		// A failed load must not be served from the cache until it expires.
		value.catch(() => {
			if (this.entries.get(key)?.value === value) this.entries.delete(key);
		});
		return value;
	}

	delete(key: string): void {
		this.entries.delete(key);
	}
}
