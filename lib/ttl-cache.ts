// A per-isolate read-through cache: bounded, least-recently-used out first, entries expire after a TTL.
//
// Only settled plain values are ever shared between callers. A load in flight is never handed to a
// second caller: in workerd a promise belongs to the request that started its I/O, and a request that
// awaits another request's promise (or touches a Response or stream it made) can fail with "Cannot
// perform I/O on behalf of a different request" or hang when that request goes away (issue 10).
//
// No herd at expiry either: an entry past its TTL is still served for a grace period (`staleMs`, by
// default one more TTL) while exactly one caller reloads it; everyone else gets the previous value at
// once, and nobody waits for anybody's promise. Without this, every request in flight when a hot key
// expired (the event, the catalogue, every second at the opening) would run its own load. Only a cold
// key, or one stale past its grace, makes concurrent callers load it each for themselves.
//
// Misses (a value `isMiss` recognises, e.g. null for an unknown event) are remembered too, briefly and
// in their own bounded list: random ids cost one load per id per miss TTL, and however many of them
// arrive they can only evict other misses, never the real event, catalogue or switches.

export interface MissPolicy<V> {
	isMiss: (value: V) => boolean;
	/** How long a miss is remembered (short: an id created meanwhile is found soon after). */
	ttlMs: number;
	maxEntries: number;
}

interface Entry<V> {
	value: V;
	expiresAt: number;
	/** When a caller started reloading this entry (one at a time); unset when nobody is. */
	refreshingSince?: number;
}

/** A Map used as an LRU list: insertion order is recency order, the first key the least recent. */
class Lru<V> {
	private readonly entries = new Map<string, Entry<V>>();

	constructor(private readonly maxEntries: number) {
		if (!(maxEntries >= 1)) throw new Error("TtlCache: maxEntries must be >= 1");
	}

	get size(): number {
		return this.entries.size;
	}

	/** The entry, fresh or not (the caller decides), made the most recent. */
	get(key: string): Entry<V> | undefined {
		const entry = this.entries.get(key);
		if (!entry) return undefined;
		this.entries.delete(key);
		this.entries.set(key, entry);
		return entry;
	}

	set(key: string, entry: Entry<V>): void {
		this.entries.delete(key);
		this.entries.set(key, entry);
		while (this.entries.size > this.maxEntries) {
			const oldest = this.entries.keys().next();
			if (oldest.done) break;
			this.entries.delete(oldest.value);
		}
	}

	delete(key: string): void {
		this.entries.delete(key);
	}
}

export class TtlCache<V> {
	private readonly hits: Lru<V>;
	private readonly misses: Lru<V> | null;
	/** Bumped by every delete: a load that started before an invalidation must not store its older value. */
	private epoch = 0;

	/** How long past its TTL an entry may still be served while one caller reloads it. */
	private readonly staleMs: number;

	constructor(
		private readonly ttlMs: number,
		maxEntries = 1_000,
		private readonly missPolicy?: MissPolicy<V>,
		staleMs = ttlMs,
	) {
		if (ttlMs < 0) throw new Error("TtlCache: ttlMs must be >= 0");
		if (staleMs < 0) throw new Error("TtlCache: staleMs must be >= 0");
		this.staleMs = staleMs;
		if (missPolicy && missPolicy.ttlMs < 0) throw new Error("TtlCache: missPolicy.ttlMs must be >= 0");
		this.hits = new Lru(maxEntries);
		this.misses = missPolicy ? new Lru(missPolicy.maxEntries) : null;
	}

	/** The value of `key`, from memory when it is fresh, else from `load` (whose value is then kept). */
	async get(key: string, load: () => Promise<V>, now = Date.now()): Promise<V> {
		const cached = this.hits.get(key) ?? this.misses?.get(key);
		if (cached && now < cached.expiresAt) return cached.value;
		const servable = cached !== undefined && now < cached.expiresAt + this.staleMs;
		if (servable) {
			const refreshing = cached.refreshingSince !== undefined && now - cached.refreshingSince < this.staleMs;
			if (refreshing) return cached.value;
			cached.refreshingSince = now;
		}
		const epoch = this.epoch;
		try {
			const value = await load();
			if (epoch === this.epoch) this.store(key, value, now);
			return value;
		} finally {
			if (cached) cached.refreshingSince = undefined;
		}
	}

	/** How many entries each list holds (tests and diagnostics). */
	sizes(): { hits: number; misses: number } {
		return { hits: this.hits.size, misses: this.misses?.size ?? 0 };
	}

	delete(key: string): void {
		this.epoch += 1;
		this.hits.delete(key);
		this.misses?.delete(key);
	}

	private store(key: string, value: V, now: number): void {
		if (this.misses && this.missPolicy?.isMiss(value)) {
			this.hits.delete(key);
			this.misses.set(key, { value, expiresAt: now + this.missPolicy.ttlMs });
		} else {
			this.misses?.delete(key);
			this.hits.set(key, { value, expiresAt: now + this.ttlMs });
		}
	}
}
