// The crowd's randomness, shared by the benchmark's crowd (crowd.mts) and the capacity model
// (scripts/model/): the same seeded generator and the same Zipf skew over the units, best first.

/** Ranks 0..n-1 with P(rank k) ∝ 1/(k+1)^s. */
export function zipfSampler(n: number, s: number, random: () => number): () => number {
	const cdf = new Float64Array(n);
	let total = 0;
	for (let k = 0; k < n; k++) {
		total += 1 / (k + 1) ** s;
		cdf[k] = total;
	}
	return () => {
		const u = random() * total;
		let lo = 0;
		let hi = n - 1;
		while (lo < hi) {
			const mid = (lo + hi) >> 1;
			if ((cdf[mid] ?? 0) < u) lo = mid + 1;
			else hi = mid;
		}
		return lo;
	};
}

/** A small seeded PRNG: the same seed gives the same crowd. */
export function mulberry32(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}
