// Token buckets kept in isolate memory: the cheapest first line against floods (no I/O at all).
// Each isolate limits on its own, so the effective limit across a location is a multiple of these;
// the Rate Limiting binding and the buyer object give the cross-isolate limits.

export interface BucketLimits {
	/** Requests allowed at once. */
	burst: number;
	/** Tokens added back per second. */
	ratePerSecond: number;
}

export type TakeResult = { ok: true } | { ok: false; retryAfterSeconds: number };

interface Bucket {
	tokens: number;
	at: number;
}

export class TokenBuckets {
	private readonly buckets = new Map<string, Bucket>();

	constructor(private readonly maxKeys = 50_000) {
		if (maxKeys < 1) throw new Error("TokenBuckets: maxKeys must be >= 1");
	}

	take(key: string, limits: BucketLimits, now = Date.now()): TakeResult {
		const refilled = this.tokensAt(key, limits, now);
		// Re-insert so the Map's order is least-recently-used first.
		this.buckets.delete(key);
		if (refilled >= 1) {
			this.buckets.set(key, { tokens: refilled - 1, at: now });
			this.evictIfFull();
			return { ok: true };
		}
		this.buckets.set(key, { tokens: refilled, at: now });
		return { ok: false, retryAfterSeconds: retryAfter(refilled, limits) };
	}

	/**
	 * Whether `key` has a token now, without taking it: for limits on failures, which are checked before
	 * the work (so an empty bucket spares it) and taken only when the work failed.
	 */
	peek(key: string, limits: BucketLimits, now = Date.now()): TakeResult {
		const refilled = this.tokensAt(key, limits, now);
		return refilled >= 1 ? { ok: true } : { ok: false, retryAfterSeconds: retryAfter(refilled, limits) };
	}

	private tokensAt(key: string, limits: BucketLimits, now: number): number {
		if (!(limits.burst >= 1) || !(limits.ratePerSecond > 0)) {
			throw new Error(`TokenBuckets: bad limits ${JSON.stringify(limits)}`);
		}
		const bucket = this.buckets.get(key) ?? { tokens: limits.burst, at: now };
		return Math.min(limits.burst, bucket.tokens + ((now - bucket.at) / 1000) * limits.ratePerSecond);
	}

	private evictIfFull(): void {
		while (this.buckets.size > this.maxKeys) {
			const oldest = this.buckets.keys().next();
			if (oldest.done) return;
			this.buckets.delete(oldest.value);
		}
	}
}

function retryAfter(tokens: number, limits: BucketLimits): number {
	return Math.max(1, Math.ceil((1 - tokens) / limits.ratePerSecond));
}
