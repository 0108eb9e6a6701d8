// The discrete-event core of the capacity model: a clock, a heap of timed callbacks, and the one
// kind of server everything in Kaipan is made of — a single thread that runs one job at a time in
// arrival order (a workerd thread, a Durable Object, a D1 database). Plain callbacks, no promises:
// a million buyers make tens of millions of events, and a promise per event would not finish in
// seconds. Time is in milliseconds from the start of the run.

type Callback = () => void;

/** A binary min-heap of (time, seq, callback); seq keeps same-time events in scheduling order. */
class EventHeap {
	private times: number[] = [];
	private seqs: number[] = [];
	private fns: Callback[] = [];
	private seq = 0;

	get size(): number {
		return this.times.length;
	}

	push(time: number, fn: Callback): void {
		const t = this.times;
		const s = this.seqs;
		const f = this.fns;
		let i = t.length;
		const seq = this.seq++;
		t.push(time);
		s.push(seq);
		f.push(fn);
		while (i > 0) {
			const parent = (i - 1) >> 1;
			const pt = t[parent] as number;
			if (pt < time || (pt === time && (s[parent] as number) < seq)) break;
			t[i] = pt;
			s[i] = s[parent] as number;
			f[i] = f[parent] as Callback;
			i = parent;
		}
		t[i] = time;
		s[i] = seq;
		f[i] = fn;
	}

	/** Removes the earliest event and returns its time; its callback is left in `popped`. */
	pop(): number {
		const t = this.times;
		const s = this.seqs;
		const f = this.fns;
		const top = t[0] as number;
		this.popped = f[0] as Callback;
		const lastT = t.pop() as number;
		const lastS = s.pop() as number;
		const lastF = f.pop() as Callback;
		const n = t.length;
		if (n > 0) {
			let i = 0;
			for (;;) {
				const l = 2 * i + 1;
				if (l >= n) break;
				const r = l + 1;
				let c = l;
				if (r < n) {
					const lt = t[l] as number;
					const rt = t[r] as number;
					if (rt < lt || (rt === lt && (s[r] as number) < (s[l] as number))) c = r;
				}
				const ct = t[c] as number;
				if (ct > lastT || (ct === lastT && (s[c] as number) > lastS)) break;
				t[i] = ct;
				s[i] = s[c] as number;
				f[i] = f[c] as Callback;
				i = c;
			}
			t[i] = lastT;
			s[i] = lastS;
			f[i] = lastF;
		}
		return top;
	}

	popped: Callback = () => undefined;
}

export class Sim {
	now = 0;
	private readonly heap = new EventHeap();
	events = 0;

	/** Runs `fn` at absolute time `time` (never before now). */
	at(time: number, fn: Callback): void {
		this.heap.push(Math.max(time, this.now), fn);
	}

	/** Runs `fn` after `delay` ms. */
	after(delay: number, fn: Callback): void {
		this.at(this.now + delay, fn);
	}

	/** Runs events in time order until none is left or the clock passes `until`. */
	run(until = Number.POSITIVE_INFINITY): void {
		const heap = this.heap;
		while (heap.size > 0) {
			const t = heap.pop();
			if (t > until) {
				// Put it back for a later run() and stop.
				heap.push(t, heap.popped);
				this.now = until;
				return;
			}
			this.now = t;
			this.events += 1;
			heap.popped();
		}
	}
}

/**
 * Counts of something per whole second of simulated time (requests reaching an object, rows
 * written, ...), so a run can report its peak second and its total.
 */
export class PerSecond {
	private readonly counts: number[] = [];
	total = 0;

	add(timeMs: number, n = 1): void {
		const sec = Math.max(0, Math.floor(timeMs / 1000));
		while (this.counts.length <= sec) this.counts.push(0);
		this.counts[sec] = (this.counts[sec] ?? 0) + n;
		this.total += n;
	}

	/** The count of second `sec` (0 = the first second of the run). */
	at(sec: number): number {
		return this.counts[sec] ?? 0;
	}

	get peak(): number {
		let max = 0;
		for (const c of this.counts) if (c > max) max = c;
		return max;
	}

	/** The second in which the peak happened. */
	get peakSecond(): number {
		let max = -1;
		let at = 0;
		this.counts.forEach((c, i) => {
			if (c > max) {
				max = c;
				at = i;
			}
		});
		return at;
	}

	get seconds(): number {
		return this.counts.length;
	}
}

/** Percentiles of a sample (sorted copy), as the bench's Tally computes them. */
export function percentile(sorted: Float64Array, q: number): number {
	if (sorted.length === 0) return 0;
	return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/** Latencies of one kind of request, in ms. */
export class Latencies {
	private values: number[] = [];

	add(ms: number): void {
		this.values.push(ms);
	}

	get count(): number {
		return this.values.length;
	}

	summary(): { p50: number; p99: number; max: number; mean: number } {
		const sorted = Float64Array.from(this.values).sort();
		let sum = 0;
		for (const v of sorted) sum += v;
		return {
			p50: percentile(sorted, 0.5),
			p99: percentile(sorted, 0.99),
			max: sorted.length ? (sorted[sorted.length - 1] ?? 0) : 0,
			mean: sorted.length ? sum / sorted.length : 0,
		};
	}

	merge(...others: Latencies[]): this {
		for (const o of others) for (const v of o.values) this.values.push(v);
		return this;
	}
}
